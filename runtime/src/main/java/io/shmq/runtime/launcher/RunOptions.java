package io.shmq.runtime.launcher;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;

/**
 * The runtime's options, from flags or a configuration file ({@code --config FILE}: a properties file with the
 * flag names as keys, without the dashes, e.g. {@code transport=zeromq}); flags given after {@code --config} win.
 * Each option becomes the framework property {@code shmq.run.<name>}, read by the product component.
 *
 * @param values the options by name, defaults filled in
 * @param help   whether {@code --help} was given
 */
public record RunOptions(Map<String, String> values, boolean help) {
    /** Options with a value, and their defaults. */
    static final Map<String, String> DEFAULTS = defaults();
    /** Flags without a value. */
    static final List<String> SWITCHES = List.of("shell", "multipart", "no-devices");

    /** The usage text. */
    public static final String USAGE = """
            usage: java -jar shmq-runtime.jar [options]   (or ./shmq run [options])
              Starts Felix with the shmq bundles and runs sampler -> processor(s) -> sink.
              --transport shmem|zeromq  transport of the default devices (default shmem)
              --msg-size N              payload bytes per message (default 1024)
              --count N                 messages to send; the runtime ends after the sink got them (default 1000000;
                                        0: run until Ctrl-C)
              --msg-rate N              messages per second, 0 for as fast as possible (default 0)
              --processors N            processors between sampler and sink, each with its own two addresses
                                        (default 1; 0: sampler -> sink)
              --multipart               two-part messages (16-byte header + payload)
              --session NAME            shared-memory session (default shmq-run-<pid>)
              --rate-logging N          seconds between rate lines, 0 for none (default 1; 0 with --shell)
              --deploy DIR              folder watched for bundles and .cfg/.config files (default ./deploy, if it
                                        exists)
              --no-devices              start no default devices (only what is deployed)
              --shell                   stay in the Gogo shell (shmq:devices, shmq:transports, shmq:bench, ...)
              --scenario NAME           pipeline (the default devices above) or sidechannel: a cache device here
                                        and a consumer device in a second runtime, --count rows of MetaHeaders in
                                        Arrow tables resolved in place (tables over --transport, payloads of 16 to
                                        4 x --msg-size bytes); sidechannel-consumer is that second runtime
              --config FILE             read these options from a properties file (keys without --)
              --help                    this text
            """;

    private static Map<String, String> defaults() {
        final Map<String, String> d = new LinkedHashMap<>();
        d.put("transport", "shmem");
        d.put("msg-size", "1024");
        d.put("count", "1000000");
        d.put("msg-rate", "0");
        d.put("processors", "1");
        d.put("session", "");
        d.put("rate-logging", "");
        d.put("deploy", "");
        d.put("scenario", "pipeline");
        return Map.copyOf(d);
    }

    /**
     * @param args the command line
     * @return the options
     * @throws IllegalArgumentException for an unknown flag, a missing or bad value, naming the flag
     */
    public static RunOptions parse(final String[] args) {
        final Map<String, String> values = new LinkedHashMap<>(DEFAULTS);
        SWITCHES.forEach(s -> values.put(s, "false"));
        boolean help = false;
        for (int i = 0; i < args.length; i++) {
            final String arg = args[i];
            if (arg.equals("--help") || arg.equals("-h")) {
                help = true;
                continue;
            }
            if (!arg.startsWith("--")) {
                throw new IllegalArgumentException("unexpected argument: argument=" + arg);
            }
            String name = arg.substring(2);
            String value = null;
            final int eq = name.indexOf('=');
            if (eq >= 0) {
                value = name.substring(eq + 1);
                name = name.substring(0, eq);
            }
            if (SWITCHES.contains(name)) {
                values.put(name, value == null ? "true" : value);
                continue;
            }
            if (!DEFAULTS.containsKey(name) && !name.equals("config")) {
                throw new IllegalArgumentException("unknown option: option=--" + name);
            }
            if (value == null) {
                if (i + 1 >= args.length) {
                    throw new IllegalArgumentException("missing value: option=--" + name);
                }
                value = args[++i];
            }
            if (name.equals("config")) {
                readFile(Path.of(value), values);
            } else {
                values.put(name, value);
            }
        }
        check(values);
        return new RunOptions(Map.copyOf(values), help);
    }

    private static void readFile(final Path file, final Map<String, String> values) {
        final Properties p = new Properties();
        try (Reader in = Files.newBufferedReader(file)) {
            p.load(in);
        } catch (final IOException e) {
            throw new IllegalArgumentException("cannot read the configuration file: config=" + file + " (" + e
                    + ")", e);
        }
        for (final String key : p.stringPropertyNames()) {
            if (!DEFAULTS.containsKey(key) && !SWITCHES.contains(key)) {
                throw new IllegalArgumentException("unknown option: key=" + key + ", config=" + file);
            }
            values.put(key, p.getProperty(key).strip());
        }
    }

    private static void check(final Map<String, String> values) {
        final String transport = values.get("transport");
        if (!transport.equals("shmem") && !transport.equals("zeromq")) {
            throw new IllegalArgumentException("bad value: option=--transport, value=" + transport
                    + ", known=shmem,zeromq");
        }
        if (!List.of("pipeline", "sidechannel", "sidechannel-consumer").contains(values.get("scenario"))) {
            throw new IllegalArgumentException("bad value: option=--scenario, value=" + values.get("scenario")
                    + ", known=pipeline,sidechannel,sidechannel-consumer");
        }
        for (final String name : List.of("msg-size", "count", "msg-rate", "processors")) {
            number(values, name);
        }
        if (!values.get("rate-logging").isEmpty()) {
            number(values, "rate-logging");
        }
        for (final String s : SWITCHES) {
            final String v = values.get(s);
            if (!v.equals("true") && !v.equals("false")) {
                throw new IllegalArgumentException("bad value: option=--" + s + ", value=" + v + ", known=true,false");
            }
        }
        if (Long.parseLong(values.get("processors")) > 64) {
            throw new IllegalArgumentException("too many processors: option=--processors, value="
                    + values.get("processors") + ", max=64");
        }
    }

    private static void number(final Map<String, String> values, final String name) {
        final String v = values.get(name);
        final long n;
        try {
            n = Long.parseLong(v);
        } catch (final NumberFormatException e) {
            throw new IllegalArgumentException("not a number: option=--" + name + ", value=" + v, e);
        }
        if (n < 0) {
            throw new IllegalArgumentException("must not be negative: option=--" + name + ", value=" + v);
        }
    }

    /** @return the framework properties {@code shmq.run.<name>} */
    public Map<String, String> frameworkProperties() {
        final Map<String, String> p = new LinkedHashMap<>();
        values.forEach((k, v) -> p.put("shmq.run." + k, v));
        return p;
    }

    /** @return the value of an option */
    String get(final String name) {
        return values.get(name);
    }

    /** @return the names of every option, for tests */
    static List<String> names() {
        final List<String> names = new ArrayList<>(DEFAULTS.keySet());
        names.addAll(SWITCHES);
        return names;
    }
}
