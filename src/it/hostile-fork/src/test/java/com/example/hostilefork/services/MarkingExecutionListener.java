package com.example.hostilefork.services;

import com.example.hostilefork.Marker;
import org.junit.platform.launcher.TestExecutionListener;

/** Registered in src/test/resources/META-INF/services: the launcher instantiates it for every run. */
public class MarkingExecutionListener implements TestExecutionListener {
    public MarkingExecutionListener() {
        Marker.leave("service-TestExecutionListener");
    }
}
