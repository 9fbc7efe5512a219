import ArgumentParser
import Foundation
import Logging
import RelayCore
import RelayPlanning

extension EngageRelayCommand {
    /// `engage-relay spool …`: commands on a spool as a whole.
    struct SpoolCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "spool", abstract: "Work on a spool as a whole.", subcommands: [Copy.self])

        /// `engage-relay spool copy --from A --to B`.
        struct Copy: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Copy every event of one config's spool into another's (SQLite into PostgreSQL, say).",
                discussion: """
                    Events keep their bodies, states and reasons; deliveries keep their state, attempts, due time \
                    and last error, and those in flight become pending. An event whose message id the destination \
                    already holds is skipped, so running the copy again copies nothing twice. Stop the receivers \
                    that write the source first, or run the copy again afterwards for what arrived meanwhile.
                    """)

            @Option(help: "The config whose spool is read (never created).") var from: String
            @Option(help: "The config whose spool is written (created and migrated as needed).") var to: String
            @Option(help: "Events per transaction.") var batch = 500
            @Flag(help: "Print the result as JSON.") var json = false

            func validate() throws {
                guard (1...10_000).contains(batch) else { throw ValidationError("--batch must be 1–10000") }
            }

            func run() async throws {
                let logger = Logger(label: "engage-relay")
                guard let source = try ConfigLoading.load(from, secrets: .spoolOnly).plan?.spool,
                    let destination = try ConfigLoading.load(to, secrets: .spoolOnly).plan?.spool
                else { throw ExitCode(1) }
                if source.kind == destination.kind && source.path == destination.path && source.url == destination.url {
                    ConfigLoading.printError("error: `\(from)` and `\(to)` name the same spool")
                    throw ExitCode(1)
                }
                let input: any Spool
                let output: any Spool
                do {
                    input = try await SpoolRegistry.builtIn.open(source, logger: logger, mustExist: true)
                    output = try await SpoolRegistry.builtIn.open(destination, logger: logger)
                } catch {
                    ConfigLoading.printError("error: \(error.message)")
                    throw ExitCode(1)
                }
                var read = 0
                var copied = 0
                var after: Int64 = 0
                do {
                    while true {
                        let events = try await input.exportEvents(after: after, limit: batch)
                        guard let last = events.last else { break }
                        copied += try await output.importEvents(events, now: Date())
                        read += events.count
                        after = last.key
                        if read % 10_000 < batch && !json {
                            FileHandle.standardError.write(Data("  \(read) events read, \(copied) copied\n".utf8))
                        }
                    }
                } catch {
                    ConfigLoading.printError("error: \(error.message) (after \(copied) events copied; run again to resume)")
                    throw ExitCode(1)
                }
                try? await input.close()
                try? await output.close()
                if json { return try Output.json(["read": read, "copied": copied, "skipped": read - copied]) }
                print("copied \(copied) event\(copied == 1 ? "" : "s") (\(read - copied) already there) from \(from) to \(to)")
            }
        }
    }
}
