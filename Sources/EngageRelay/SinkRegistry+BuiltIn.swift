import RelayCore
import RelayFileSink

extension SinkRegistry {
    /// Every sink kind that ships with engage-relay.
    public static let builtIn = SinkRegistry().adding(FileSink.self)
}
