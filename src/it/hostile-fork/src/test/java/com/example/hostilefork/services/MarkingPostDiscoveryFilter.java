package com.example.hostilefork.services;

import com.example.hostilefork.Marker;
import org.junit.platform.engine.FilterResult;
import org.junit.platform.engine.TestDescriptor;
import org.junit.platform.launcher.PostDiscoveryFilter;

/** Registered in src/test/resources/META-INF/services: the launcher applies it to every discovery. */
public class MarkingPostDiscoveryFilter implements PostDiscoveryFilter {
    public MarkingPostDiscoveryFilter() {
        Marker.leave("service-PostDiscoveryFilter");
    }

    @Override
    public FilterResult apply(TestDescriptor descriptor) {
        return FilterResult.included("keeps everything");
    }
}
