package io.shmq.devices.internal;

import io.shmq.devices.Channel;
import io.shmq.devices.DeviceConfig;
import io.shmq.devices.DeviceContext;
import io.shmq.devices.DeviceRunner;
import io.shmq.devices.DeviceTask;
import io.shmq.transport.api.Message;
import io.shmq.transport.api.Socket;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * FairMQ's example processor: reads each message of {@value #INPUT} (checks its sequence number) and writes a
 * result message, a new message holding the same bytes, to the sub-channel of {@value #OUTPUT} with the same index
 * (or index modulo the number of outputs). A result that cannot be sent before the device stops is dropped.
 */
final class ProcessorTask implements DeviceTask {
    /** The input channel. */
    static final String INPUT = "data1";
    /** The output channel. */
    static final String OUTPUT = "data2";

    private final boolean multipart;
    private List<Channel> outputs = List.of();
    private volatile long processed;
    private volatile long errors;

    ProcessorTask(final DeviceConfig config) {
        this.multipart = config.booleanOption("multipart", false);
    }

    @Override
    public void init(final DeviceContext context) {
        outputs = context.channels(OUTPUT);
        if (outputs.isEmpty()) {
            throw new IllegalArgumentException("the processor needs a channel: channel=" + OUTPUT + ", id="
                    + context.config().id());
        }
        context.onData(INPUT, multipart);
    }

    @Override
    public boolean handleData(final DeviceContext context, final Channel channel, final List<Message> parts) {
        final Channel out = outputs.get(channel.index() % outputs.size());
        final Message payload = parts.get(parts.size() - 1);
        if (Payloads.readSequence(payload) == -2) {
            errors = errors + 1;
        }
        final List<Message> results = new ArrayList<>(parts.size());
        try {
            for (final Message part : parts) {
                results.add(part.size() == 0 ? out.factory().createMessage() : out.newMessage(part.data()));
            }
            long result;
            do {
                result = results.size() == 1 && !multipart ? out.send(results.get(0), DeviceRunner.TRANSFER_TIMEOUT_MS)
                        : out.send(results, DeviceRunner.TRANSFER_TIMEOUT_MS);
            } while (result == Socket.TIMEOUT && context.running());
            if (result >= 0) {
                processed = processed + 1;
            }
        } finally {
            results.forEach(Message::close);
        }
        return true;
    }

    @Override
    public Map<String, Long> counters() {
        return Map.of("processed", processed, "errors", errors);
    }
}
