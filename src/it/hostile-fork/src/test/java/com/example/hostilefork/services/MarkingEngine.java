package com.example.hostilefork.services;

import com.example.hostilefork.Marker;
import org.junit.platform.engine.EngineDiscoveryRequest;
import org.junit.platform.engine.ExecutionRequest;
import org.junit.platform.engine.TestDescriptor;
import org.junit.platform.engine.TestEngine;
import org.junit.platform.engine.UniqueId;
import org.junit.platform.engine.support.descriptor.EngineDescriptor;

/** Registered in src/test/resources/META-INF/services: the launcher instantiates every engine it finds. */
public class MarkingEngine implements TestEngine {
    public MarkingEngine() {
        Marker.leave("service-TestEngine");
    }

    @Override
    public String getId() {
        return "hostile-fork-marking-engine";
    }

    @Override
    public TestDescriptor discover(EngineDiscoveryRequest request, UniqueId uniqueId) {
        return new EngineDescriptor(uniqueId, "marking engine");
    }

    @Override
    public void execute(ExecutionRequest request) {
        request.getEngineExecutionListener().executionStarted(request.getRootTestDescriptor());
        request.getEngineExecutionListener()
                .executionFinished(
                        request.getRootTestDescriptor(), org.junit.platform.engine.TestExecutionResult.successful());
    }
}
