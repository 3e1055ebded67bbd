package dev.microvmsandbox.channel;

import java.io.IOException;

/** The other side sent something the protocol does not allow; the channel is closed. */
public class ProtocolException extends IOException {

    public ProtocolException(String message) {
        super(message);
    }

    public ProtocolException(String message, Throwable cause) {
        super(message, cause);
    }
}
