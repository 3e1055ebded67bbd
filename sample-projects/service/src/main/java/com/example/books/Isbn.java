package com.example.books;

/** ISBN-13 check digits: the weighted sum of all 13 digits (weights 1, 3, 1, 3, ...) is a multiple of 10. */
public final class Isbn {

    private Isbn() {}

    public static boolean isValid(String text) {
        if (text == null) {
            return false;
        }
        String digits = text.replace("-", "");
        if (!digits.matches("\\d{13}")) {
            return false;
        }
        int sum = 0;
        for (int i = 0; i < 13; i++) {
            sum += (digits.charAt(i) - '0') * (i % 2 == 0 ? 1 : 3);
        }
        return sum % 10 == 0;
    }
}
