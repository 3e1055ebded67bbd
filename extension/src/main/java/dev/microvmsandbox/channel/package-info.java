/**
 * The link between host and guest agent: {@link dev.microvmsandbox.channel.Frame}s over one byte
 * stream, multiplexed by request id, carrying JSON {@link dev.microvmsandbox.channel.Message}s and raw
 * stream data, every read bounded.
 *
 * <p>Used on both sides: the host's backends and engine, and the guest agent. Uses no other package
 * of this library. {@link dev.microvmsandbox.channel.Channel} is part of the backend SPI (a backend
 * makes one from the byte streams it has to its guest); the messages and frames are internal.
 */
package dev.microvmsandbox.channel;
