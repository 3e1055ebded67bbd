package com.example.hostilefork;

import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.MethodOrdererContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/** A method orderer, which Jupiter instantiates during discovery. */
@TestMethodOrder(OrdererAttackTest.MarkingOrderer.class)
class OrdererAttackTest {

    public static class MarkingOrderer implements MethodOrderer {
        public MarkingOrderer() {
            Marker.leave("method-orderer");
        }

        @Override
        public void orderMethods(MethodOrdererContext context) {}
    }

    @Test
    void reported() {
        Marker.recordWhereItRuns();
    }
}
