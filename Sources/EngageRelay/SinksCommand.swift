import ArgumentParser

extension EngageRelayCommand {
    /// `engage-relay sinks`: the sink kinds this binary knows and their options.
    struct Sinks: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List sink kinds and their options.")

        @Flag(help: "Print the Markdown reference used in docs/config.md.")
        var markdown = false

        func run() async throws {
            print(markdown ? EngageRelayCommand.registry.markdownReference : EngageRelayCommand.registry.textReference)
        }
    }
}
