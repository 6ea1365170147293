package io.shmq.devices;

import java.util.List;
import org.osgi.annotation.versioning.ProviderType;

/**
 * What a {@link DeviceTask} sees of its device while a hook runs: configuration, options and open channels.
 * Valid on the device thread during a hook only.
 *
 * <p>{@code @ProviderType}: implemented by {@link DeviceRunner} only.
 */
@ProviderType
public interface DeviceContext {
    /** @return the device's configuration */
    DeviceConfig config();

    /**
     * @param name a channel name
     * @return sub-channel 0 of that channel
     * @throws IllegalArgumentException when the device has no such channel, naming it
     */
    Channel channel(String name);

    /**
     * @param name  a channel name
     * @param index a sub-channel index
     * @return the sub-channel
     * @throws IllegalArgumentException when the device has no such sub-channel, naming it
     */
    Channel channel(String name, int index);

    /**
     * @param name a channel name
     * @return its sub-channels in index order (empty when the device has no such channel)
     */
    List<Channel> channels(String name);

    /**
     * Registers a channel (all its sub-channels) for {@link DeviceTask#handleData}, as FairMQ's {@code OnData}.
     *
     * @param name      a channel name
     * @param multipart whether to receive multipart messages (all parts in one call) or single messages
     * @throws IllegalArgumentException when the device has no such channel
     */
    void onData(String name, boolean multipart);

    /** @return whether the hook should go on: false once the device is stopped, reset, ends or loses a transport */
    boolean running();

    /**
     * Writes a line to the device's output, prefixed with its id.
     *
     * @param line the text
     */
    void log(String line);
}
