package io.shmq.transport.testkit;

import java.lang.reflect.Proxy;
import java.util.Map;
import java.util.Objects;

/** Component property types (DS configuration annotations) outside a framework, as SCR would pass them. */
public final class ComponentConfigs {
    private ComponentConfigs() {
    }

    /**
     * @param <A>    the annotation type
     * @param type   the annotation type a DS component's activate method takes
     * @param values values by method name (e.g. {@code segment$_$size}); any other method gives its default
     * @return an instance of {@code type}
     */
    public static <A> A of(final Class<A> type, final Map<String, Object> values) {
        Objects.requireNonNull(values, "values");
        return type.cast(Proxy.newProxyInstance(type.getClassLoader(), new Class<?>[] {type},
                (proxy, method, args) -> {
                    if (method.getDeclaringClass() == Object.class) {
                        return switch (method.getName()) {
                            case "toString" -> type.getSimpleName() + values;
                            case "hashCode" -> System.identityHashCode(proxy);
                            case "equals" -> proxy == args[0];
                            default -> null;
                        };
                    }
                    return values.getOrDefault(method.getName(), method.getDefaultValue());
                }));
    }
}
