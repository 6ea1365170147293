package io.shmq.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * FairMQ's C++ benchmark devices, when {@code FAIRMQ_BIN} names a directory holding {@code fairmq-bsampler} and
 * {@code fairmq-sink} (the project never builds FairMQ): the sampler pushes N messages of a size over FairMQ's
 * shared-memory transport to the sink, which prints how long it took to receive them ("Received N messages in T
 * ms", from its first receive attempt). Only that whole-run rate exists for FairMQ; its steady column stays empty.
 */
final class FairMqRun {
    private static final long[] SIZES = {64, 4 << 10, 1 << 20, 16 << 20};
    private static final Pattern RECEIVED = Pattern.compile("Received (\\d+) messages in ([0-9.]+) ?ms");
    private final Path bin;
    private final String status;

    private FairMqRun(final Path bin, final String status) {
        this.bin = bin;
        this.status = status;
    }

    static FairMqRun fromEnvironment() {
        final String value = System.getenv("FAIRMQ_BIN");
        if (value == null || value.isBlank()) {
            return new FairMqRun(null, "FairMQ: skipped (set FAIRMQ_BIN to a directory with fairmq-bsampler and "
                    + "fairmq-sink to include it)");
        }
        final Path bin = Path.of(value);
        for (final String device : List.of("fairmq-bsampler", "fairmq-sink")) {
            if (!Files.isExecutable(bin.resolve(device))) {
                return new FairMqRun(null, "FairMQ: skipped (FAIRMQ_BIN=" + value + " has no executable " + device
                        + ")");
            }
        }
        return new FairMqRun(bin, "FairMQ: " + bin + " (bsampler -> sink over shmem, push/pull, FairMQ's defaults "
                + "otherwise; whole run only)");
    }

    String status() {
        return status;
    }

    List<CompareRun.Case> cases() {
        final List<CompareRun.Case> cases = new ArrayList<>();
        if (bin != null) {
            for (final long size : SIZES) {
                cases.add(new CompareRun.Case(CompareRun.FAIRMQ, CompareRun.PUSH_PULL, size, List.of(),
                        List.of("fairmq", Long.toString(size))));
            }
        }
        return cases;
    }

    /** Runs every FairMQ case once (nothing when FairMQ is not pointed at). */
    List<CompareRun.Sample> round(final int round, final long messages, final Consumer<CompareRun.Sample> progress) {
        final List<CompareRun.Sample> samples = new ArrayList<>();
        for (final CompareRun.Case kase : cases()) {
            final long count = kase.size() >= 1 << 20 ? Math.max(1000, messages / 20) : messages;
            CompareRun.Sample sample;
            try {
                sample = new CompareRun.Sample(round, kase, once(kase.size(), count), null);
            } catch (IOException | InterruptedException | RuntimeException e) {
                sample = new CompareRun.Sample(round, kase, Map.of(), e.getMessage());
            }
            progress.accept(sample);
            samples.add(sample);
        }
        return samples;
    }

    private Map<String, Double> once(final long size, final long count) throws IOException, InterruptedException {
        final String id = UUID.randomUUID().toString().substring(0, 8);
        // FairMQ's shared-memory transport uses the address as a name only; a path under the JDK's temp directory.
        final String address = "ipc://" + java.nio.file.Path.of(System.getProperty("java.io.tmpdir"),
                "shmq-compare-fairmq-" + id);
        final List<String> common = List.of("--transport", "shmem", "--session", "shmqcmp" + id, "--control",
                "static", "--color", "false", "--max-iterations", Long.toString(count));
        final List<String> sinkCommand = new ArrayList<>(List.of(bin.resolve("fairmq-sink").toString(), "--id",
                "sink1", "--channel-config", "name=data,type=pull,method=bind,address=" + address));
        sinkCommand.addAll(common);
        final List<String> samplerCommand = new ArrayList<>(List.of(bin.resolve("fairmq-bsampler").toString(), "--id",
                "bsampler1", "--channel-config", "name=data,type=push,method=connect,address=" + address,
                "--msg-size", Long.toString(size)));
        samplerCommand.addAll(common);
        final Process sink = new ProcessBuilder(sinkCommand).redirectErrorStream(true).start();
        final Process sampler = new ProcessBuilder(samplerCommand).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        try (BufferedReader out = new BufferedReader(new InputStreamReader(sink.getInputStream(),
                StandardCharsets.UTF_8))) {
            for (String line = out.readLine(); line != null; line = out.readLine()) {
                final Matcher matcher = RECEIVED.matcher(line);
                if (matcher.find()) {
                    final double received = Double.parseDouble(matcher.group(1));
                    final double ms = Double.parseDouble(matcher.group(2));
                    return Map.of("count", received, "whole", received * 1e3 / ms);
                }
            }
            throw new IllegalStateException("fairmq-sink ended without printing 'Received N messages in T ms'");
        } finally {
            for (final Process process : List.of(sampler, sink)) {
                if (!process.waitFor(30, TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                }
            }
        }
    }
}
