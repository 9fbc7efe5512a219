import ArgumentParser
import Foundation
import RelayPlanning

extension EngageRelayCommand {
    /// `engage-relay keys`: the relay's own config keys, from the table the checker uses.
    struct Keys: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List the relay's own config keys (top level, tls, verify, spool) and what a reload does with each.")

        @Flag(help: "Print the Markdown tables used in docs/config.md.")
        var markdown = false

        func run() async throws {
            if markdown {
                print(RelayKeys.markdownReference, terminator: "")
                return
            }
            for key in RelayKeys.all {
                let reload =
                    switch key.reload {
                    case .applies: "applies on reload"
                    case .needsRestart: "needs a restart"
                    case .byKeys: "see its keys"
                    }
                let fallback = key.defaultValue.map { ", default \($0)" } ?? ""
                print("\(key.qualifiedName)  [\(key.value.replacingOccurrences(of: "`", with: "").replacingOccurrences(of: "\\|", with: "|"))\(fallback); \(reload)]")
            }
        }
    }
}
