package io.shmq.bench;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;

/**
 * A two-JVM run of one {@link Peer}: this JVM holds the measuring side (the receiver of a stream, the requester of
 * round trips), a child JVM started here holds the other. The sender's first send attempt comes back on its standard
 * output as a {@link System#nanoTime()} value (the monotonic clock is the machine's, the same in both JVMs); the
 * sender stays open until its standard input closes, so that nothing it sent is dropped at close.
 */
final class TwoJvm {
    private static final String FIRST_SEND = "FIRST_SEND ";
    private static final long CHILD_SECONDS = 300;

    private TwoJvm() {
    }

    /**
     * A stream from a child JVM to this one.
     *
     * @param durationNanos how long the sender sends, from its first send attempt
     * @param maxCount      the most messages it sends
     */
    static Rates stream(final Peer peer, final String address, final long size, final long durationNanos,
                        final long maxCount) throws Exception {
        try (Stream.Receiver receiver = peer.receiver(address, size)) {
            final Process sender = ChildJvm.start(peer.jvmFlags(), TwoJvm.class, true, "send", peer.name(), address,
                    Long.toString(size), Long.toString(durationNanos), Long.toString(maxCount));
            try {
                final Stream.Trace trace = new Stream.Trace();
                sender.onExit().thenAccept(p -> trace.abandon("the sender's JVM exited: exit=" + p.exitValue()));
                receiver.receiveAll(trace);
                final BufferedReader out = new BufferedReader(new InputStreamReader(sender.getInputStream(),
                        StandardCharsets.UTF_8));
                long firstSend = Long.MIN_VALUE;
                for (String line = out.readLine(); line != null; line = out.readLine()) {
                    if (line.startsWith(FIRST_SEND)) {
                        firstSend = Long.parseLong(line.substring(FIRST_SEND.length()).trim());
                        break;
                    }
                    System.out.println(line);
                }
                if (firstSend == Long.MIN_VALUE) {
                    throw new IllegalStateException("the sender did not report its first send attempt");
                }
                sender.getOutputStream().close(); // the sender may close now
                ChildJvm.await(sender, CHILD_SECONDS);
                return trace.rates(firstSend);
            } finally {
                sender.destroyForcibly();
            }
        }
    }

    /** Round trips from this JVM to a replier in a child JVM. */
    static RoundTrips.Latency roundTrips(final Peer peer, final String address, final long size, final long warmUp,
                                         final long rounds) throws Exception {
        try (RoundTrips.Requester requester = peer.requester(address, size)) {
            final Process replier = ChildJvm.start(peer.jvmFlags(), TwoJvm.class, false, "reply", peer.name(),
                    address, Long.toString(warmUp + rounds));
            try {
                final RoundTrips.Latency latency = RoundTrips.measure(requester, warmUp, rounds);
                ChildJvm.await(replier, CHILD_SECONDS);
                return latency;
            } finally {
                replier.destroyForcibly();
            }
        }
    }

    /**
     * The child JVM: {@code send PEER ADDRESS SIZE DURATION_NANOS MAX_COUNT} or {@code reply PEER ADDRESS ROUNDS}.
     *
     * @param args the role and its parameters
     */
    public static void main(final String[] args) {
        try {
            final Peer peer = Peer.valueOf(args[1]);
            if (args[0].equals("send")) {
                final long size = Long.parseLong(args[3]);
                try (Stream.Sender sender = peer.sender(args[2], size)) {
                    final long firstSend = Stream.sendFor(sender, size, Long.parseLong(args[4]),
                            Long.parseLong(args[5]));
                    System.out.println(FIRST_SEND + firstSend);
                    System.out.flush();
                    while (System.in.read() >= 0) {
                        // wait until the receiver has seen the end
                    }
                }
            } else {
                peer.reply(args[2], Long.parseLong(args[3]));
            }
        } catch (Exception e) {
            e.printStackTrace();
            System.exit(1);
        }
    }
}
