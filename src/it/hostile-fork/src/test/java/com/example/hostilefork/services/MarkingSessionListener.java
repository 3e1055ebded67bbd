package com.example.hostilefork.services;

import com.example.hostilefork.Marker;
import org.junit.platform.launcher.LauncherSessionListener;

/** Registered in src/test/resources/META-INF/services: the launcher instantiates it before any test. */
public class MarkingSessionListener implements LauncherSessionListener {
    public MarkingSessionListener() {
        Marker.leave("service-LauncherSessionListener");
    }
}
