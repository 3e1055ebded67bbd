package dev.microvmsandbox.guest;

import dev.microvmsandbox.channel.Message;

/** Lets host-side tests turn a frame into what the guest sends, through the guest's own code. */
public final class PlainThrowableAccess {

    private PlainThrowableAccess() {}

    public static Message.StackFrameData frame(StackTraceElement e) {
        return PlainThrowable.frame(e);
    }
}
