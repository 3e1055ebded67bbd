package com.example.orders;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.List;

/** The code under test: what an agent changed and now wants verified. */
public final class OrderTotals {

    public record Line(String sku, int quantity, BigDecimal unitPrice) {
        public Line {
            if (quantity <= 0) {
                throw new IllegalArgumentException("quantity must be positive: " + quantity);
            }
        }
    }

    private OrderTotals() {}

    /** Sum of the lines, less a percentage discount, rounded half-up to cents. */
    public static BigDecimal total(List<Line> lines, int discountPercent) {
        if (discountPercent < 0 || discountPercent > 100) {
            throw new IllegalArgumentException("discount out of range: " + discountPercent);
        }
        BigDecimal sum = lines.stream()
                .map(l -> l.unitPrice().multiply(BigDecimal.valueOf(l.quantity())))
                .reduce(BigDecimal.ZERO, BigDecimal::add);
        BigDecimal factor = BigDecimal.valueOf(100 - discountPercent).movePointLeft(2);
        return sum.multiply(factor).setScale(2, RoundingMode.HALF_UP);
    }
}
