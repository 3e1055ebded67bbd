package dev.microvmsandbox.channel;

import java.io.IOException;
import org.apiguardian.api.API;

/** The other side sent something the protocol does not allow; the channel is closed. */
@API(status = API.Status.INTERNAL)
public class ProtocolException extends IOException {

    private static final long serialVersionUID = 1L;

    public ProtocolException(String message) {
        super(message);
    }

    public ProtocolException(String message, Throwable cause) {
        super(message, cause);
    }
}
