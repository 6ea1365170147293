package io.shmq.transport.api;

import java.util.Arrays;
import java.util.Locale;
import java.util.function.Function;
import java.util.stream.Collectors;

/** Looks up an enum constant by its configuration name; shared by {@link TransportKind} and {@link SocketType}. */
final class ConfigNames {
    private ConfigNames() {
    }

    static <E extends Enum<E>> E lookup(final String what, final E[] values, final Function<E, String> nameOf,
                                        final String name) {
        if (name != null) {
            final String lower = name.toLowerCase(Locale.ROOT);
            for (final E value : values) {
                if (nameOf.apply(value).equals(lower)) {
                    return value;
                }
            }
        }
        throw new IllegalArgumentException("unknown " + what + ": name=" + name + ", known="
                + Arrays.stream(values).map(nameOf).collect(Collectors.joining(",")));
    }
}
