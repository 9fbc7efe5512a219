import RelayCore
import RelayExecSink
import RelayFileSink
import RelayHTTPSink
import RelayPostgresSink
import RelaySQLiteSink
import RelaySyslogSink

extension SinkRegistry {
    /// Every sink kind that ships with engage-relay.
    public static let builtIn = SinkRegistry()
        .adding(FileSink.self)
        .adding(HTTPSink.self)
        .adding(SQLiteSink.self)
        .adding(PostgresSink.self)
        .adding(ExecSink.self)
        .adding(SyslogSink.self)
}
