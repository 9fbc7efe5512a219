import Foundation
import PackagePlugin

/// `swift package check-relay-config [--product NAME] [FILES...]`: runs `engage-relay check` on each config file and
/// fails when any of them has errors, so a repository of configs can gate changes in CI.
///
/// Without FILES it checks every `*.conf` directly in the package folder and anywhere under `examples/`, skipping
/// folders that hold their own `Package.swift` (a nested package's config may use sink kinds only its own binary
/// knows). With `--product NAME` it builds that executable product of the package it runs in and checks with it, so
/// a package that adds sink kinds (`EngageRelayCommand.main(registry: .builtIn.adding(…))`) checks configs that use
/// them.
///
/// Secrets are not read by default (`check --no-resolve-secrets`): `env:` and `file:` references are checked for
/// their form only, so CI needs no production secrets. `--resolve-secrets` reads them and checks their values, as
/// `engage-relay check` does by default.
@main
struct CheckRelayConfig: CommandPlugin {
    func performCommand(context: PluginContext, arguments: [String]) async throws {
        var extractor = ArgumentExtractor(arguments)
        if extractor.extractFlag(named: "help") > 0 {
            print(Self.usage)
            return
        }
        let verbose = extractor.extractFlag(named: "verbose") > 0
        let resolveSecrets = extractor.extractFlag(named: "resolve-secrets") > 0
        let products = extractor.extractOption(named: "product")
        let files = extractor.remainingArguments
        if products.count > 1 { throw PluginFailure("give `--product` once, not \(products.count) times") }
        if let option = files.first(where: { $0.hasPrefix("-") }) {
            throw PluginFailure("unknown option `\(option)`\n\(Self.usage)")
        }

        // SwiftPM runs the plugin in the directory `swift package` was started in: FILES are relative to it.
        let here = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
        let package = context.package.directoryURL
        // Built through the package manager rather than declared as the plugin's tool: a tool dependency would be
        // compiled a second time for the host, a whole second build of the server stack.
        let checker = try build(products.first ?? "engage-relay", of: context.package, own: products.first != nil)
        let inPackage = here.standardizedFileURL.path == package.standardizedFileURL.path
        let configs =
            files.isEmpty
            ? Self.defaultConfigs(in: package).map { inPackage ? $0 : package.appendingPathComponent($0).path } : files
        if configs.isEmpty {
            throw PluginFailure("no config files given, and none found in \(package.path) or its examples/")
        }

        var failed: [String] = []
        for config in configs {
            let result = try Self.run(
                checker, ["check", "--config", config] + (resolveSecrets ? [] : ["--no-resolve-secrets"]), in: here,
                showingOutput: verbose)
            // The checker already writes `FILE:LINE:COL: error: …` with the source line and a caret; pass it on as
            // it is, which is the form SwiftPM, editors and CI log scanners pick up.
            if !result.errors.isEmpty { FileHandle.standardError.write(result.errors) }
            if result.status == 0 {
                Self.say("\(config): ok")
            } else {
                failed.append(config)
            }
        }
        let checkedWith = products.first.map { "`\($0)`" } ?? "engage-relay"
        if !failed.isEmpty {
            Diagnostics.error(
                "\(failed.count) of \(configs.count) config files have errors (checked with \(checkedWith)): "
                    + failed.joined(separator: ", "))
            // An error diagnostic is enough for `swift package` to exit non-zero.
            return
        }
        Self.say("\(configs.count) config file\(configs.count == 1 ? "" : "s") checked with \(checkedWith): no errors")
    }

    /// Builds the executable product `name` (of `package` itself when `own`, else of it or a dependency, as
    /// `engage-relay` is in a package that depends on this one) and returns the built binary.
    func build(_ name: String, of package: Package, own: Bool) throws -> URL {
        let executables = package.products(ofType: ExecutableProduct.self).map(\.name)
        guard !own || executables.contains(name) else {
            throw PluginFailure(
                "`\(name)` is not an executable product of \(package.displayName); "
                    + "its executables: \(executables.sorted().joined(separator: ", "))")
        }
        let result = try packageManager.build(
            .product(name), parameters: .init(configuration: .debug, logging: .concise, echoLogs: true))
        guard result.succeeded else {
            FileHandle.standardError.write(Data(result.logText.utf8))
            throw PluginFailure("building `\(name)` failed")
        }
        guard
            let binary = result.builtArtifacts.first(where: {
                $0.kind == .executable && $0.url.lastPathComponent == name
            })
        else {
            throw PluginFailure("building `\(name)` produced no executable named `\(name)`")
        }
        return binary.url
    }

    /// `*.conf` directly in `package` and anywhere under `package/examples`, as paths relative to `package`, sorted.
    static func defaultConfigs(in package: URL) -> [String] {
        let fileManager = FileManager.default
        var found = ((try? fileManager.contentsOfDirectory(atPath: package.path)) ?? [])
            .filter { $0.hasSuffix(".conf") && isFile(package.appendingPathComponent($0)) }
        var folders = ["examples"]
        while let folder = folders.popLast() {
            let url = package.appendingPathComponent(folder)
            // A nested package (examples/custom-sink) checks its own configs with its own binary.
            if fileManager.fileExists(atPath: url.appendingPathComponent("Package.swift").path) { continue }
            for name in (try? fileManager.contentsOfDirectory(atPath: url.path)) ?? [] where !name.hasPrefix(".") {
                let path = folder + "/" + name
                if isFile(package.appendingPathComponent(path)) {
                    if name.hasSuffix(".conf") { found.append(path) }
                } else {
                    folders.append(path)
                }
            }
        }
        return found.sorted()
    }

    /// Writes a line to standard output at once, so it lands in order with the checker's own output.
    static func say(_ line: String) {
        FileHandle.standardOutput.write(Data((line + "\n").utf8))
    }

    static func isFile(_ url: URL) -> Bool {
        var isFolder: ObjCBool = false
        return FileManager.default.fileExists(atPath: url.path, isDirectory: &isFolder) && !isFolder.boolValue
    }

    /// Runs `tool` in `folder` and returns its exit status and standard error; its standard output (the route
    /// table) goes to ours or nowhere.
    static func run(
        _ tool: URL, _ arguments: [String], in folder: URL, showingOutput: Bool
    ) throws -> (status: Int32, errors: Data) {
        let process = Process()
        process.executableURL = tool
        process.arguments = arguments
        process.currentDirectoryURL = folder
        if !showingOutput { process.standardOutput = FileHandle.nullDevice }
        let errors = Pipe()
        process.standardError = errors
        try process.run()
        let data = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, data)
    }

    static let usage = """
        USAGE: swift package check-relay-config [--product NAME] [--resolve-secrets] [--verbose] [FILES...]

        Runs `engage-relay check` on each config file and fails when any has errors, which are reported as
        FILE:LINE:COL: error: MESSAGE. Without FILES, every *.conf in the package folder and anywhere under its
        examples/ folder is checked, skipping folders that hold their own Package.swift. Secrets are not read:
        `env:` and `file:` references are checked for their form only (`check --no-resolve-secrets`).

        --product NAME     build this executable product of the package (a binary with custom sink kinds, from
                           EngageRelayCommand.main(registry:)) and check with it instead of engage-relay
        --resolve-secrets  read the `env:` and `file:` secrets and check their values too (they must be set)
        --verbose          also print each valid config's route table
        """
}

/// A usage or build problem, shown by SwiftPM as `error: …`.
struct PluginFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
