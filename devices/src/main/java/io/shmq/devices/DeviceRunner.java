package io.shmq.devices;

import io.shmq.transport.api.ChannelMethod;
import io.shmq.transport.api.FactoryConfig;
import io.shmq.transport.api.Message;
import io.shmq.transport.api.Poller;
import io.shmq.transport.api.Socket;
import io.shmq.transport.api.Transport;
import io.shmq.transport.api.TransportClosedException;
import io.shmq.transport.api.TransportException;
import io.shmq.transport.api.TransportFactory;
import io.shmq.transport.api.TransportKind;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;

/**
 * Drives one {@link DeviceTask} through FairMQ's states on a device thread of its own, on the transports it is
 * given with {@link #transportAdded} (from the OSGi registry, or by hand on a plain module path).
 *
 * <p>Life of a device: it waits in {@link DeviceState#IDLE} until a transport of every kind its channels use is
 * there, then makes one factory per kind, binds, connects, calls {@link DeviceTask#init} and runs. When a transport
 * in use is removed ({@link #transportRemoved}, called by DS before the provider deactivates), the runner marks an
 * outage, interrupts the factory so that blocked transfers return, waits (at most
 * {@value #RELEASE_TIMEOUT_MS} ms) until the device thread closed its channels (linger 0: what is in flight is lost
 * with the provider) and factories, counts the outage and goes back to {@link DeviceState#IDLE}; it comes up again
 * when a transport of that kind is offered. A {@link TransportClosedException} is the documented outage signal;
 * during an outage any {@link TransportException} is taken as part of it, other exceptions are logged and counted
 * as unexpected. Outside an outage, an exception from a hook or a channel (other than
 * {@link TransportClosedException}) puts the device into {@link DeviceState#ERROR} until {@link #reset()}.
 *
 * <p>A rate thread samples every sub-channel's counters every second and writes FairMQ-style rate lines
 * ({@link ChannelRate#line()}) for channels with {@code rateLogging > 0} while the device runs.
 */
public final class DeviceRunner implements Device, AutoCloseable {
    /** How long {@link #transportRemoved} waits for the device to let go of the transport. */
    public static final long RELEASE_TIMEOUT_MS = 10_000;
    /** The timeout of each transfer the runner makes, so that it sees stop requests and outages. */
    public static final long TRANSFER_TIMEOUT_MS = 100;
    private static final System.Logger LOG = System.getLogger(DeviceRunner.class.getName());

    private final DeviceConfig config;
    private final String type;
    private final DeviceTask task;
    private final Consumer<String> output;
    private final DeviceStateMachine states = new DeviceStateMachine();
    private final Map<String, ChannelCounters> counters = new LinkedHashMap<>();
    private final Object lock = new Object();
    private final List<Offer> offers = new ArrayList<>();
    private final Map<TransportKind, Transport> inUse = new EnumMap<>(TransportKind.class);
    private final Map<TransportKind, TransportFactory> factories = new ConcurrentHashMap<>();
    private final List<Channel> open = new ArrayList<>();
    private final Map<String, Boolean> dataChannels = new LinkedHashMap<>();
    private final AtomicLong outages = new AtomicLong();
    private final AtomicLong unexpected = new AtomicLong();
    private final Map<String, LongAdder> exceptions = new ConcurrentHashMap<>();
    private final Context context = new Context();
    private final Thread deviceThread;
    private final Thread rateThread;
    private volatile String lastError = "";
    private volatile boolean outage;
    private volatile boolean stopRequested;
    private volatile boolean exit;
    private boolean hold;
    private boolean taskDone;
    private volatile boolean resetRequested;
    private boolean started;

    /**
     * @param config the device's configuration
     * @param type   what the device is, e.g. {@code sampler}
     * @param task   the hooks
     * @param output where rate lines and lifecycle lines go (e.g. {@code System.out::println})
     */
    public DeviceRunner(final DeviceConfig config, final String type, final DeviceTask task,
                        final Consumer<String> output) {
        this.config = Objects.requireNonNull(config, "config");
        this.type = Objects.requireNonNull(type, "type");
        this.task = Objects.requireNonNull(task, "task");
        this.output = Objects.requireNonNull(output, "output");
        config.channels().forEach(c -> counters.put(c.key(), new ChannelCounters(c.key())));
        deviceThread = new Thread(this::deviceLoop, "shmq-device-" + config.id());
        deviceThread.setDaemon(true);
        rateThread = new Thread(this::rateLoop, "shmq-rate-" + config.id());
        rateThread.setDaemon(true);
    }

    /** Starts the device thread; the device comes up as soon as its transports are there. Idempotent. */
    public void open() {
        synchronized (lock) {
            if (started) {
                return;
            }
            started = true;
        }
        deviceThread.start();
        rateThread.start();
    }

    /**
     * Offers a transport. The device uses, per kind, the offer with the highest {@code service.ranking} (then the
     * lowest {@code service.id}); an offer better than the one in use makes the device switch to it (counted as an
     * outage of the old one).
     *
     * @param transport  the transport
     * @param properties its service properties ({@code service.ranking}, {@code service.id}), may be empty
     */
    public void transportAdded(final Transport transport, final Map<String, ?> properties) {
        final Offer offer = new Offer(transport, transport.kind(), intProperty(properties, "service.ranking"),
                longProperty(properties, "service.id"));
        Transport replaced = null;
        synchronized (lock) {
            offers.add(offer);
            final Transport current = inUse.get(offer.kind());
            if (current != null && best(offer.kind()) == transport) {
                replaced = current;
            }
            lock.notifyAll();
        }
        if (replaced != null) {
            output.accept(prefix() + "a better " + offer.kind() + " transport arrived: switching");
            release(replaced);
        }
    }

    /**
     * Withdraws a transport. When the device uses it, returns only after the device closed its channels and
     * factories (or after {@value #RELEASE_TIMEOUT_MS} ms).
     *
     * @param transport the transport going away
     */
    public void transportRemoved(final Transport transport) {
        synchronized (lock) {
            offers.removeIf(o -> o.transport() == transport);
            lock.notifyAll();
        }
        release(transport);
    }

    private void release(final Transport transport) {
        synchronized (lock) {
            if (!inUse.containsValue(transport)) {
                return;
            }
            outage = true;
            lock.notifyAll();
        }
        interruptFactories();
        final long deadline = System.nanoTime() + RELEASE_TIMEOUT_MS * 1_000_000L;
        boolean interrupted = false;
        synchronized (lock) {
            while (inUse.containsValue(transport) && deviceThread.isAlive()) {
                final long left = (deadline - System.nanoTime()) / 1_000_000L;
                if (left <= 0) {
                    LOG.log(System.Logger.Level.WARNING, "device id={0} did not release transport kind={1} within "
                            + "timeoutMs={2}", config.id(), transport.kind(), RELEASE_TIMEOUT_MS);
                    break;
                }
                try {
                    lock.wait(left);
                } catch (final InterruptedException e) {
                    // Keep the promise to the caller (the device let go of the transport before the provider goes),
                    // then hand the interrupt back.
                    interrupted = true;
                    LOG.log(System.Logger.Level.WARNING, "thread={0} interrupted while device id={1} releases "
                            + "transport kind={2}; waiting on", Thread.currentThread().getName(), config.id(),
                            transport.kind());
                }
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public String id() {
        return config.id();
    }

    @Override
    public String type() {
        return type;
    }

    /** @return the configuration */
    public DeviceConfig config() {
        return config;
    }

    /** @return the state machine (to wait for a state) */
    public DeviceStateMachine stateMachine() {
        return states;
    }

    @Override
    public DeviceStatus status() {
        final Map<String, Long> seen = new LinkedHashMap<>();
        exceptions.forEach((k, v) -> seen.put(k, v.sum()));
        final List<ChannelRate> rates = new ArrayList<>();
        counters.values().forEach(c -> rates.add(c.current()));
        return new DeviceStatus(config.id(), type, states.state(), outages.get(), unexpected.get(), seen,
                task.counters(), rates, lastError);
    }

    @Override
    public void start() {
        synchronized (lock) {
            hold = false;
            taskDone = false;
            lock.notifyAll();
        }
    }

    @Override
    public void stop() {
        synchronized (lock) {
            hold = true;
            lock.notifyAll();
        }
        stopRequested = true;
    }

    @Override
    public void reset() {
        synchronized (lock) {
            if (inUse.isEmpty() && states.state() != DeviceState.ERROR) {
                // Nothing is open (no cycle between awaitTransports and the end of teardown): just stay idle.
                hold = true;
                taskDone = false;
            } else {
                resetRequested = true;
            }
            lock.notifyAll();
        }
        interruptFactories();
    }

    /** Takes a reset request (under the lock): the device stays idle until {@link #start()}. */
    private void consumeReset() {
        synchronized (lock) {
            resetRequested = false;
            hold = true;
            taskDone = false;
        }
    }

    /** Ends the device: closes channels and factories, calls {@link DeviceTask#reset}, waits for the thread. */
    @Override
    public void close() {
        synchronized (lock) {
            exit = true;
            lock.notifyAll();
        }
        interruptFactories();
        rateThread.interrupt();
        try {
            deviceThread.join(RELEASE_TIMEOUT_MS);
            rateThread.join(RELEASE_TIMEOUT_MS);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (deviceThread.isAlive()) {
            LOG.log(System.Logger.Level.WARNING, "device id={0} did not end within timeoutMs={1}", config.id(),
                    RELEASE_TIMEOUT_MS);
        }
    }

    private void interruptFactories() {
        for (final TransportFactory f : factories.values()) {
            try {
                f.interrupt();
            } catch (final RuntimeException e) {
                record(e, true);
            }
        }
    }

    private void deviceLoop() {
        while (true) {
            final Map<TransportKind, Transport> chosen = awaitTransports();
            if (chosen == null) {
                break;
            }
            boolean error = false;
            boolean closedSeen = false;
            try {
                cycle(chosen);
            } catch (final TransportClosedException e) {
                record(e, false);
                closedSeen = true;
            } catch (final RuntimeException | Error e) {
                error = !outage && !exit && !resetRequestedNow();
                record(e, !error);
                if (error) {
                    lastError = e.toString();
                    output.accept(prefix() + "error: " + e);
                    LOG.log(System.Logger.Level.ERROR, "device id=" + config.id() + " failed", e);
                }
            }
            final boolean wasOutage = (outage || closedSeen) && !exit;
            teardown(error, wasOutage);
            if (wasOutage) {
                final long n = outages.incrementAndGet();
                output.accept(prefix() + "transport outage: channels closed, waiting for a transport (outages="
                        + n + ")");
                pause(TRANSFER_TIMEOUT_MS);
            }
            if (error && !awaitReset()) {
                break;
            }
        }
        synchronized (lock) {
            if (states.canApply(DeviceTransition.END)) {
                states.apply(DeviceTransition.END);
            }
        }
    }

    private boolean resetRequestedNow() {
        return resetRequested;
    }

    /** @return the transports to use, or null when the device ends */
    private Map<TransportKind, Transport> awaitTransports() {
        synchronized (lock) {
            while (!exit) {
                final Map<TransportKind, Transport> chosen = new EnumMap<>(TransportKind.class);
                for (final TransportKind kind : config.kinds()) {
                    final Transport t = best(kind);
                    if (t != null) {
                        chosen.put(kind, t);
                    }
                }
                if (!hold && chosen.size() == config.kinds().size()) {
                    inUse.putAll(chosen);
                    outage = false;
                    stopRequested = false;
                    return chosen;
                }
                waitLock();
            }
            return null;
        }
    }

    private boolean awaitReset() {
        synchronized (lock) {
            while (!exit && !resetRequested) {
                waitLock();
            }
            if (exit) {
                return false;
            }
            states.apply(DeviceTransition.RESET_DEVICE);
            callReset();
            consumeReset();
            states.apply(DeviceTransition.RESET_DONE);
            return true;
        }
    }

    private void waitLock() {
        try {
            lock.wait(TRANSFER_TIMEOUT_MS * 10);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            exit = true;
        }
    }

    private Transport best(final TransportKind kind) {
        return offers.stream().filter(o -> o.kind() == kind)
                .min(Comparator.comparingInt(Offer::ranking).reversed().thenComparingLong(Offer::serviceId))
                .map(Offer::transport).orElse(null);
    }

    private void cycle(final Map<TransportKind, Transport> chosen) {
        for (final Map.Entry<TransportKind, Transport> e : chosen.entrySet()) {
            factories.put(e.getKey(), e.getValue().createFactory(FactoryConfig.of(config.id(), config.session())));
        }
        if (outage) {
            return;
        }
        states.apply(DeviceTransition.INIT_DEVICE);
        openChannels(ChannelMethod.BIND);
        states.apply(DeviceTransition.BIND);
        openChannels(ChannelMethod.CONNECT);
        states.apply(DeviceTransition.CONNECT);
        dataChannels.clear();
        task.init(context);
        states.apply(DeviceTransition.INIT_TASK);
        while (true) {
            synchronized (lock) {
                while (!exit && !outage && !resetRequested && (hold || taskDone)) {
                    waitLock();
                }
                if (exit || outage || resetRequested) {
                    return;
                }
                stopRequested = false;
            }
            states.apply(DeviceTransition.RUN);
            try {
                if (dataChannels.isEmpty()) {
                    task.run(context);
                } else {
                    receiveLoop();
                }
            } finally {
                states.apply(DeviceTransition.STOP);
            }
            synchronized (lock) {
                if (!stopRequested && !outage && !exit && !resetRequested) {
                    taskDone = true;
                    output.accept(prefix() + "task done");
                }
            }
        }
    }

    private void openChannels(final ChannelMethod method) {
        for (final ChannelSpec spec : config.channels()) {
            if (spec.config().method() == method) {
                final TransportFactory factory = factories.get(spec.transport());
                final Socket socket = spec.config().open(factory);
                open.add(new Channel(spec, factory, socket, counters.get(spec.key())));
            }
        }
    }

    private void receiveLoop() {
        final List<Channel> inputs = open.stream().filter(c -> dataChannels.containsKey(c.name())).toList();
        if (inputs.size() == 1) {
            final Channel only = inputs.get(0);
            while (context.running()) {
                if (!receiveOne(only, TRANSFER_TIMEOUT_MS)) {
                    return;
                }
            }
            return;
        }
        if (inputs.stream().map(c -> c.factory()).distinct().count() > 1) {
            while (context.running()) {
                for (final Channel c : inputs) {
                    if (!receiveOne(c, TRANSFER_TIMEOUT_MS / inputs.size())) {
                        return;
                    }
                }
            }
            return;
        }
        try (Poller poller = inputs.get(0).factory().createPoller(inputs.stream().map(Channel::socket).toList())) {
            while (context.running()) {
                final int events = poller.poll(TRANSFER_TIMEOUT_MS);
                if (events <= 0) {
                    continue;
                }
                for (int i = 0; i < inputs.size(); i++) {
                    if (poller.checkInput(i) && !receiveOne(inputs.get(i), 0)) {
                        return;
                    }
                }
            }
        }
    }

    /** @return false when the handler is done */
    private boolean receiveOne(final Channel channel, final long timeoutMs) {
        final boolean multipart = dataChannels.get(channel.name());
        final List<Message> parts = new ArrayList<>();
        try {
            if (multipart) {
                if (channel.receive(parts, timeoutMs) < 0) {
                    return true;
                }
            } else {
                final Message message = channel.factory().createMessage();
                parts.add(message);
                if (channel.receive(message, timeoutMs) < 0) {
                    return true;
                }
            }
            return task.handleData(context, channel, parts);
        } finally {
            for (final Message m : parts) {
                closeQuietly(m);
            }
        }
    }

    private void closeQuietly(final AutoCloseable closeable) {
        try {
            closeable.close();
        } catch (final Exception e) {
            record(e, true);
        }
    }

    private void teardown(final boolean error, final boolean wasOutage) {
        for (final Channel c : open) {
            if (wasOutage) {
                try {
                    c.socket().setLinger(Duration.ZERO);
                } catch (final RuntimeException e) {
                    record(e, true);
                }
            }
            closeQuietly(c.socket());
        }
        final boolean explicitReset = !wasOutage && !error && (exit || resetRequestedNow());
        if (explicitReset && states.canApply(DeviceTransition.RESET_DEVICE)) {
            states.apply(DeviceTransition.RESET_DEVICE);
            callReset();
        }
        if (explicitReset && resetRequestedNow()) {
            consumeReset();
        }
        open.clear();
        for (final TransportFactory f : factories.values()) {
            closeQuietly(f);
        }
        factories.clear();
        if (error) {
            if (states.canApply(DeviceTransition.ERROR_FOUND)) {
                states.apply(DeviceTransition.ERROR_FOUND);
            }
        } else {
            if (states.canApply(DeviceTransition.RESET_DEVICE)) {
                states.apply(DeviceTransition.RESET_DEVICE);
            }
            if (states.canApply(DeviceTransition.RESET_DONE)) {
                states.apply(DeviceTransition.RESET_DONE);
            }
        }
        synchronized (lock) {
            inUse.clear();
            lock.notifyAll();
        }
    }

    private void callReset() {
        try {
            task.reset(context);
        } catch (final RuntimeException e) {
            record(e, false);
            lastError = e.toString();
            LOG.log(System.Logger.Level.ERROR, "reset of device id=" + config.id() + " failed", e);
        }
    }

    /** Counts an exception that reached the device; during an outage only non-transport exceptions are unexpected. */
    private void record(final Throwable e, final boolean duringOutage) {
        exceptions.computeIfAbsent(e.getClass().getName(), k -> new LongAdder()).increment();
        final boolean documented = e instanceof TransportClosedException
                || (duringOutage && e instanceof TransportException);
        if (!documented) {
            unexpected.incrementAndGet();
            lastError = e.toString();
            if (duringOutage) {
                LOG.log(System.Logger.Level.WARNING, "device id=" + config.id() + ": unexpected exception during a "
                        + "transport outage", e);
            }
        } else if (!(e instanceof TransportClosedException)) {
            LOG.log(System.Logger.Level.INFO, "device id={0}: {1} during a transport outage", config.id(), e);
        }
    }

    private static void pause(final long ms) {
        try {
            Thread.sleep(ms);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void rateLoop() {
        long tick = 0;
        while (!exit) {
            try {
                Thread.sleep(1000);
            } catch (final InterruptedException e) {
                return;
            }
            tick++;
            final boolean running = states.state() == DeviceState.RUNNING;
            for (final ChannelSpec spec : config.channels()) {
                final ChannelRate rate = counters.get(spec.key()).sample();
                if (running && spec.rateLogging() > 0 && tick % spec.rateLogging() == 0) {
                    output.accept(prefix() + rate.line());
                }
            }
        }
    }

    private String prefix() {
        return "[" + config.id() + "] ";
    }

    private static int intProperty(final Map<String, ?> properties, final String key) {
        return properties.get(key) instanceof Number n ? n.intValue() : 0;
    }

    private static long longProperty(final Map<String, ?> properties, final String key) {
        return properties.get(key) instanceof Number n ? n.longValue() : Long.MAX_VALUE;
    }

    private record Offer(Transport transport, TransportKind kind, int ranking, long serviceId) {
    }

    private final class Context implements DeviceContext {
        @Override
        public DeviceConfig config() {
            return config;
        }

        @Override
        public Channel channel(final String name) {
            return channel(name, 0);
        }

        @Override
        public Channel channel(final String name, final int index) {
            for (final Channel c : open) {
                if (c.name().equals(name) && c.index() == index) {
                    return c;
                }
            }
            throw new IllegalArgumentException("no such channel: channel=" + ChannelSpec.key(name, index)
                    + ", id=" + config.id() + ", channels=" + counters.keySet());
        }

        @Override
        public List<Channel> channels(final String name) {
            return open.stream().filter(c -> c.name().equals(name)).sorted(Comparator.comparingInt(Channel::index))
                    .toList();
        }

        @Override
        public void onData(final String name, final boolean multipart) {
            if (channels(name).isEmpty()) {
                throw new IllegalArgumentException("no such channel: channel=" + name + ", id=" + config.id());
            }
            dataChannels.put(name, multipart);
        }

        @Override
        public boolean running() {
            return !stopRequested && !outage && !exit && !Thread.currentThread().isInterrupted()
                    && !resetRequestedNow();
        }

        @Override
        public void log(final String line) {
            output.accept(prefix() + line);
        }
    }
}
