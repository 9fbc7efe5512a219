import ArgumentParser
import Foundation
import RelayConfig
import RelayCore
import RelayPlanning

extension EngageRelayCommand {
    /// `engage-relay check`: validate a config and print its route table, or every problem.
    struct Check: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Validate a config: print its route table, or every error (exit 1).")

        @Option(name: .shortAndLong, help: "The config file.")
        var config: String = "engage-relay.conf"

        @Flag(
            inversion: .prefixedNo,
            help: ArgumentHelp(
                "Read the `env:` and `file:` secrets and check their values (the default).",
                discussion: """
                    With --no-resolve-secrets, the references are checked for their form only and nothing is read, \
                    so a CI without the production secrets can check a config; everything else is checked as usual.
                    """))
        var resolveSecrets = true

        func run() async throws {
            let loaded = try ConfigLoading.load(config, secrets: resolveSecrets ? .all : .none)
            if let plan = loaded.plan {
                print("\(config): ok\n")
                print(plan.summary)
            } else {
                throw ExitCode(1)
            }
        }
    }
}

/// Loads a config for a command, printing diagnostics to standard error in `FILE:LINE:COL: error:` form.
enum ConfigLoading {
    /// With `quietWhenValid`, diagnostics are printed only when the config has errors (the caller logs the warnings);
    /// `secrets` says which `env:`/`file:` secrets are read (only `serve` needs them all).
    static func load(_ path: String, quietWhenValid: Bool = false, secrets: SecretResolution) throws -> (
        source: SourceFile, plan: RelayPlan?, diagnostics: [Diagnostic]
    ) {
        let loaded: (source: SourceFile, plan: RelayPlan?, diagnostics: [Diagnostic])
        do {
            loaded = try RelayPlan.load(
                path: path, registry: EngageRelayCommand.registry, environment: ProcessInfo.processInfo.environment,
                secrets: secrets)
        } catch {
            printError("error: cannot read config `\(path)`: \(error)")
            throw ExitCode(1)
        }
        if !loaded.diagnostics.isEmpty && !(quietWhenValid && loaded.plan != nil) {
            printError(DiagnosticFormatter.format(loaded.diagnostics, source: loaded.source, summary: true))
        }
        return loaded
    }

    static func printError(_ text: String) {
        _ = LogOutput.writeAll(Array((text.hasSuffix("\n") ? text : text + "\n").utf8), to: STDERR_FILENO)
    }
}
