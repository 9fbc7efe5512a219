import ArgumentParser
import RelayCore

/// The whole `engage-relay` command line as a library, so a custom binary is three lines:
///
/// ```swift
/// @main struct MyRelay {
///     static func main() async { await EngageRelayCommand.main(registry: .builtIn.adding(MySink.self)) }
/// }
/// ```
public struct EngageRelayCommand: AsyncParsableCommand {
    /// The command's name, summary and subcommands.
    public static let configuration = CommandConfiguration(
        commandName: "engage-relay",
        abstract: "Receive Voyado Engage webhooks, verify them, and route every event to the sinks a config declares.",
        subcommands: [
            Serve.self, Check.self, Send.self, Events.self, Replay.self, DeadLetters.self, SpoolCommand.self, Sinks.self,
            Keys.self,
        ]
    )

    /// The sink kinds the running binary knows.
    @TaskLocal static var registry: SinkRegistry = .builtIn

    /// Creates the root command (argument parsing does this).
    public init() {}

    /// Runs the command line with a registry of sink kinds (built-in plus custom ones).
    public static func main(registry: SinkRegistry) async {
        await $registry.withValue(registry) {
            await main()
        }
    }
}
