package io.shmq.transport.shmem.internal;

import io.shmq.transport.api.FactoryConfig;
import io.shmq.transport.api.Message;
import io.shmq.transport.api.MetaHeader;
import io.shmq.transport.api.RegionCallback;
import io.shmq.transport.api.RegionConfig;
import io.shmq.transport.api.SharedMemoryMessage;
import io.shmq.transport.api.UnmanagedRegion;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The second process of the cross-process tests: joins a session and follows commands from stdin, one per line,
 * answering on stdout. Not a test itself.
 */
public final class ShmChild {
    private ShmChild() {
    }

    private static synchronized void println(final String line) {
        System.out.println(line);
        System.out.flush();
    }

    /** Runs {@code step} for ever on a daemon thread; prints {@code ready} after its 100th run. */
    private static void forever(final String ready, final Runnable step) {
        Thread.ofPlatform().daemon().start(() -> {
            for (int i = 0; ; i++) {
                step.run();
                if (i == 100) {
                    println(ready);
                }
            }
        });
    }

    /**
     * @param args session name, segment size, optionally the session directory
     * @throws Exception on I/O failure
     */
    public static void main(final String[] args) throws Exception {
        final FactoryConfig.Builder builder = FactoryConfig.builder("child").session(args[0])
                .segmentSize(Long.parseLong(args[1]));
        if (args.length > 2) {
            builder.option(ShmemFactory.OPTION_DIRECTORY, args[2]);
        }
        final ShmemFactory factory = new ShmemFactory(builder.build());
        final List<Message> held = new ArrayList<>();
        final Map<Integer, UnmanagedRegion> regions = new HashMap<>();
        Soak.Consumer consumer = null;
        io.shmq.transport.api.Socket raced = null;
        println("READY " + ProcessHandle.current().pid());
        final BufferedReader reader = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        String line;
        while ((line = reader.readLine()) != null) {
            final String[] a = line.trim().split(" ");
            try {
                switch (a[0]) {
                    case "alloc", "give" -> {
                        final Message message = factory.createMessage(Long.parseLong(a[1]));
                        Payload.fill(message.data(), Long.parseLong(a[2]));
                        if (a[0].equals("alloc")) {
                            held.add(message);
                            println("META " + Payload.hex(((SharedMemoryMessage) message).meta()));
                        } else {
                            println("META " + Payload.hex(factory.detach(message)));
                        }
                    }
                    case "region" -> {
                        final RegionConfig config = RegionConfig.builder().id(Integer.parseInt(a[2])).build();
                        final RegionCallback callback = block -> println("ACK " + block.offset() + " "
                                + block.size() + " " + block.hint());
                        final UnmanagedRegion region = factory.createUnmanagedRegion(Long.parseLong(a[1]), callback,
                                config);
                        regions.put(region.id(), region);
                        println("REGION " + region.id());
                    }
                    case "tregion" -> {
                        // tregion SIZE ID: a region whose callback prints when (System.nanoTime) each ack arrived
                        final RegionConfig config = RegionConfig.builder().id(Integer.parseInt(a[2])).build();
                        final UnmanagedRegion region = factory.createUnmanagedRegion(Long.parseLong(a[1]),
                                block -> println("TACK " + System.nanoTime()), config);
                        regions.put(region.id(), region);
                        println("REGION " + region.id());
                    }
                    case "rmsg", "rgive" -> {
                        final UnmanagedRegion region = regions.get(Integer.parseInt(a[1]));
                        final long offset = Long.parseLong(a[2]);
                        final long size = Long.parseLong(a[3]);
                        Payload.fill(region.data().asSlice(offset, size), Long.parseLong(a[5]));
                        final Message message = factory.createMessage(region, offset, size, Long.parseLong(a[4]));
                        if (a[0].equals("rmsg")) {
                            held.add(message);
                            println("META " + Payload.hex(((SharedMemoryMessage) message).meta()));
                        } else {
                            println("META " + Payload.hex(factory.detach(message)));
                        }
                    }
                    case "rclose" -> {
                        regions.remove(Integer.parseInt(a[1])).close();
                        println("RCLOSED");
                    }
                    case "check" -> {
                        final MetaHeader meta = Payload.meta(a[1]);
                        println("CHECKED " + Payload.check(factory.resolve(meta), Long.parseLong(a[2])));
                    }
                    case "spare" -> {
                        // Allocated, written and closed, its handle never out: the stripe keeps it as its spare.
                        final Message message = factory.createMessage(Long.parseLong(a[1]));
                        Payload.fill(message.data(), 1);
                        message.close();
                        println("SPARES " + factory.mappings().spareBlocks());
                    }
                    case "lend" -> {
                        // A spare made, then taken by a message that stays open: the stripe lent it the block.
                        factory.createMessage(Long.parseLong(a[1])).close();
                        final Message message = factory.createMessage(Long.parseLong(a[1]));
                        Payload.fill(message.data(), 2);
                        held.add(message);
                        println("SPARES " + factory.mappings().spareBlocks());
                    }
                    case "free" -> {
                        factory.adopt(Payload.meta(a[1])).close();
                        println("FREED");
                    }
                    case "closeheld" -> {
                        held.forEach(Message::close);
                        held.clear();
                        println("CLOSED");
                    }
                    case "free-memory" -> println("FREE " + factory.freeMemory());
                    case "cached" -> println("CACHED " + factory.cachedBytes());
                    case "lock" -> {
                        factory.ownSegment().lock().lock();
                        println("LOCKED");
                    }
                    case "session-lock" -> {
                        factory.session().lock().lock();
                        println("LOCKED");
                    }
                    case "churn" -> {
                        for (int round = 0; round < Integer.parseInt(a[2]); round++) {
                            try (ShmemFactory other = new ShmemFactory(FactoryConfig.builder("churn")
                                    .session(a[1]).segmentSize(Long.parseLong(args[1])).build());
                                 Message message = other.createMessage(1000)) {
                                Payload.fill(message.data(), round);
                            }
                        }
                        println("CHURNED");
                    }
                    case "stress" -> println("STRESS " + Payload.workload(factory, Integer.parseInt(a[1]),
                            Long.parseLong(a[2])));
                    case "push" -> {
                        // push ADDRESS COUNT: connects a push socket and sends COUNT numbered messages
                        try (io.shmq.transport.api.Socket push = factory.createSocket(
                                io.shmq.transport.api.SocketType.PUSH, "push")) {
                            push.connect(a[1]);
                            final int count = Integer.parseInt(a[2]);
                            for (int seq = 0; seq < count; seq++) {
                                try (Message message = factory.createMessage(SocketTest.sizeOf(seq))) {
                                    Payload.fill(message.data(), seq);
                                    if (push.send(message, 30_000) < 0) {
                                        throw new IllegalStateException("send failed at seq=" + seq);
                                    }
                                }
                            }
                            println("PUSHED " + count);
                        }
                    }
                    case "pushunits" -> {
                        // pushunits ADDRESS: a connected push sends units of 1-4 parts (0 B to 20 KB) until killed
                        final io.shmq.transport.api.Socket push = factory.createSocket(
                                io.shmq.transport.api.SocketType.PUSH, "units");
                        push.connect(a[1]);
                        final java.util.Random random = new java.util.Random();
                        forever("PUSHING", () -> {
                            final List<Message> parts;
                            try {
                                parts = Payload.unit(factory, random);
                            } catch (io.shmq.transport.api.MessageBadAllocException e) {
                                java.util.concurrent.locks.LockSupport.parkNanos(1_000_000L);
                                return;
                            }
                            if (push.send(parts, 30_000) < 0) {
                                parts.forEach(Message::close);
                            }
                        });
                    }
                    case "pullunits" -> {
                        // pullunits ADDRESS: a connected pull receives frames of units and closes them until killed
                        final io.shmq.transport.api.Socket pull = factory.createSocket(
                                io.shmq.transport.api.SocketType.PULL, "units");
                        pull.connect(a[1]);
                        forever("PULLING", () -> {
                            try (Message message = factory.createMessage()) {
                                pull.receive(message, 30_000);
                            }
                        });
                    }
                    case "pushforever" -> {
                        // pushforever ADDRESS: sends numbered 64-byte messages until the process is killed
                        final io.shmq.transport.api.Socket push = factory.createSocket(
                                io.shmq.transport.api.SocketType.PUSH, "push");
                        push.connect(a[1]);
                        for (int seq = 0; ; seq++) {
                            try (Message message = factory.createMessage(64)) {
                                Payload.fill(message.data(), seq);
                                push.send(message, 30_000);
                            }
                            if (seq == 100) {
                                println("PUSHING");
                            }
                        }
                    }
                    case "bindpushforever" -> {
                        // bindpushforever ADDRESS: binds a push socket, answers BOUND, sends 64-byte messages until
                        // the process is killed
                        final io.shmq.transport.api.Socket push = factory.createSocket(
                                io.shmq.transport.api.SocketType.PUSH, "push");
                        push.bind(a[1]);
                        println("BOUND");
                        for (int seq = 0; ; seq++) {
                            try (Message message = factory.createMessage(64)) {
                                Payload.fill(message.data(), seq);
                                push.send(message, 30_000);
                            }
                        }
                    }
                    case "reqonce" -> {
                        // reqonce ADDRESS: connects a req socket, sends one request, answers SENT, never receives
                        final io.shmq.transport.api.Socket req = factory.createSocket(
                                io.shmq.transport.api.SocketType.REQ, "req");
                        req.connect(a[1]);
                        try (Message message = factory.createMessage(8)) {
                            message.data().set(java.lang.foreign.ValueLayout.JAVA_LONG, 0, 1);
                            req.send(message, 30_000);
                        }
                        println("SENT");
                    }
                    case "subidle" -> {
                        // subidle ADDRESS: connects a sub socket, answers SUBSCRIBED and never receives
                        factory.createSocket(io.shmq.transport.api.SocketType.SUB, "sub").connect(a[1]);
                        println("SUBSCRIBED");
                    }
                    case "allocwait" -> {
                        // allocwait SIZE: a second factory of the session, whose allocations wait for room (an hour
                        // at most), answers WAITING and allocates SIZE bytes (in a full segment: it waits there)
                        final FactoryConfig config = builder.build();
                        final FactoryConfig.Builder waiting = FactoryConfig.builder("waiter")
                                .session(config.session()).segmentSize(config.segmentSize())
                                .allocationRetry(io.shmq.transport.api.AllocationRetryPolicy.retry(3601,
                                        java.time.Duration.ofSeconds(1)));
                        config.options().forEach(waiting::option);
                        final ShmemFactory waiter = new ShmemFactory(waiting.build());
                        println("WAITING");
                        held.add(waiter.createMessage(Long.parseLong(a[1])));
                    }
                    case "pullwait" -> {
                        // pullwait ADDRESS: connects a pull socket, answers PULLING and waits for a message for ever
                        // (asleep on the ring's futex after its spin phase) until the process is killed
                        final io.shmq.transport.api.Socket pull = factory.createSocket(
                                io.shmq.transport.api.SocketType.PULL, "pull");
                        pull.connect(a[1]);
                        println("PULLING");
                        try (Message message = factory.createMessage()) {
                            pull.receive(message, -1);
                        }
                    }
                    case "pullidle" -> {
                        // pullidle ADDRESS: connects a pull socket and never receives
                        factory.createSocket(io.shmq.transport.api.SocketType.PULL, "pull").connect(a[1]);
                        println("PULLING");
                    }
                    case "sub" -> {
                        // sub ADDRESS COUNT: connects a sub socket, answers READY, receives COUNT messages
                        try (io.shmq.transport.api.Socket sub = factory.createSocket(
                                io.shmq.transport.api.SocketType.SUB, "sub")) {
                            sub.connect(a[1]);
                            println("SUBSCRIBED");
                            final List<Message> got = new ArrayList<>();
                            for (int i = 0; i < Integer.parseInt(a[2]); i++) {
                                final Message message = factory.createMessage();
                                if (sub.receive(message, 30_000) < 0) {
                                    throw new IllegalStateException("receive failed at i=" + i);
                                }
                                got.add(message);
                                println("GOT " + Payload.hex(((SharedMemoryMessage) message).meta()) + " "
                                        + Payload.check(message.data(), i));
                            }
                            held.addAll(got);
                        }
                    }
                    case "holdforever" -> {
                        // holdforever SEED: holds 200 messages of mixed sizes (and copies of some), then allocates,
                        // copies and frees at random (region messages too) until it is killed
                        final java.util.SplittableRandom random = new java.util.SplittableRandom(Long.parseLong(a[1]));
                        for (int i = 0; i < 200; i++) {
                            final Message message = factory.createMessage(random.nextInt(1, 1 << random.nextInt(1, 21)));
                            held.add(message);
                            if (i % 10 == 0) {
                                held.add(message.copy());
                            }
                        }
                        // and region messages of a region of its own (and copies), held and in the loop
                        final UnmanagedRegion own = factory.createUnmanagedRegion(4 << 20, block -> { },
                                RegionConfig.DEFAULT);
                        for (int i = 0; i < 20; i++) {
                            final Message ranged = factory.createMessage(own, i * 4096L, 4096, i);
                            held.add(ranged);
                            if (i % 4 == 0) {
                                held.add(ranged.copy());
                            }
                        }
                        println("LOOPING");
                        Payload.workload(factory, own, Integer.MAX_VALUE, random.nextLong());
                    }
                    case "pullhold" -> {
                        // pullhold ADDRESS COUNT: receives COUNT messages on a connected pull and holds them
                        final io.shmq.transport.api.Socket pull = factory.createSocket(
                                io.shmq.transport.api.SocketType.PULL, "pullhold");
                        pull.connect(a[1]);
                        println("CONNECTED");
                        for (int i = 0; i < Integer.parseInt(a[2]); i++) {
                            final Message message = factory.createMessage();
                            if (pull.receive(message, 30_000) < 0) {
                                throw new IllegalStateException("receive " + i + " timed out");
                            }
                            held.add(message);
                        }
                        println("HELD " + held.size());
                    }
                    case "produce" -> {
                        // produce ADDRESS ID INCARNATION: a connected push sends numbered, seeded messages of random
                        // sizes until the factory closes or the process dies
                        final io.shmq.transport.api.Socket push = factory.createSocket(
                                io.shmq.transport.api.SocketType.PUSH, "producer");
                        push.connect(a[1]);
                        final long id = Long.parseLong(a[2]) << 32 | Long.parseLong(a[3]);
                        Thread.ofPlatform().daemon().start(() -> Soak.produce(factory, push, id));
                        println("PRODUCING");
                    }
                    case "consume" -> {
                        // consume ADDRESS [bind]: a connected (or bound) pull checks every message (seed, order per
                        // producer); 'report' prints what it saw
                        final io.shmq.transport.api.Socket pull = factory.createSocket(
                                io.shmq.transport.api.SocketType.PULL, "consumer");
                        if (a.length > 2 && a[2].equals("bind")) {
                            pull.bind(a[1]);
                        } else {
                            pull.connect(a[1]);
                        }
                        consumer = new Soak.Consumer();
                        final Soak.Consumer c = consumer;
                        Thread.ofPlatform().daemon().start(() -> c.run(factory, pull));
                        println("CONSUMING");
                    }
                    case "report" -> println("REPORT " + (consumer == null ? "none" : consumer.report()));
                    case "bindrace" -> {
                        // bindrace ADDRESS START: at System.nanoTime() START (the same clock in every JVM) binds a
                        // pull to ADDRESS; then closes the socket it won the round before, if any; prints RACE WON or
                        // RACE LOST
                        final io.shmq.transport.api.Socket socket = factory.createSocket(
                                io.shmq.transport.api.SocketType.PULL, "race" + a[2]);
                        final long start = Long.parseLong(a[2]);
                        while (System.nanoTime() - start < 0) {
                            Thread.onSpinWait();
                        }
                        String result;
                        try {
                            socket.bind(a[1]);
                            result = "WON";
                        } catch (io.shmq.transport.api.SocketException e) {
                            socket.close();
                            result = e.getMessage().contains("already bound") ? "LOST" : "ERROR " + e.getMessage();
                        }
                        if (raced != null) {
                            raced.close(); // the endpoint it bound is stale now: its close must spare the winner's
                        }
                        raced = result.equals("WON") ? socket : null;
                        println("RACE " + result);
                    }
                    case "totals" -> println("TOTALS " + (consumer == null ? "none" : consumer.totals()));
                    case "producecount" -> {
                        // producecount ADDRESS ID COUNT bind|connect: a push sends COUNT numbered messages, then DONE
                        final io.shmq.transport.api.Socket push = factory.createSocket(
                                io.shmq.transport.api.SocketType.PUSH, "producer" + a[2]);
                        if (a[4].equals("bind")) {
                            push.bind(a[1]);
                        } else {
                            push.connect(a[1]);
                        }
                        final long id = Long.parseLong(a[2]);
                        final long count = Long.parseLong(a[3]);
                        Thread.ofPlatform().daemon().start(() -> {
                            Soak.produceCount(factory, push, id, count);
                            println("DONE " + id);
                        });
                        println("PRODUCING");
                    }
                    case "exit" -> {
                        held.forEach(Message::close);
                        factory.close();
                        println("BYE");
                        System.exit(0);
                    }
                    default -> println("ERROR unknown command " + line);
                }
            } catch (Throwable t) {
                println("ERROR " + t.toString().replace('\n', ' '));
            }
        }
        factory.close();
    }
}
