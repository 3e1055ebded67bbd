/**
 * Diagnostics for users: {@code doctor}, {@code image} and {@code run}.
 *
 * <p>Internal. May use every host-side package; never {@code guest} or {@code engine}.
 */
package dev.microvmsandbox.cli;
