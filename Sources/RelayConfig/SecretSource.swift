import Foundation

/// Where a secret comes from: `env:NAME`, `file:PATH`, or the literal text; never prints a literal value.
public enum SecretSource: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible,
    CustomReflectable
{
    /// The secret written directly in the configuration.
    case literal(String)
    /// The value of an environment variable, read at load time.
    case environment(String)
    /// The contents of a file, read at load time, trailing whitespace removed.
    case file(String)

    /// Interprets `env:NAME` and `file:PATH`; any other text is a literal.
    public init(_ text: String) {
        if text.hasPrefix("env:") {
            self = .environment(String(text.dropFirst(4)))
        } else if text.hasPrefix("file:") {
            self = .file(String(text.dropFirst(5)))
        } else {
            self = .literal(text)
        }
    }

    /// `env:NAME`, `file:PATH`, or `<literal>`; safe to print and log.
    public var description: String {
        switch self {
        case .literal: "<literal>"
        case .environment(let name): "env:\(name)"
        case .file(let path): "file:\(path)"
        }
    }

    /// The same as `description`, so `debugPrint` and test failure messages do not reveal a literal either.
    public var debugDescription: String { description }

    /// A mirror without the value, so `dump` does not reveal a literal either.
    public var customMirror: Mirror {
        Mirror(self, children: ["source": description], displayStyle: .enum)
    }

    /// Checks the reference without reading anything: `env:` needs a variable name (without `=` or NUL), `file:` a
    /// path (without NUL), a literal must not be empty. ``resolve(environment:)`` fails for these reasons too.
    public func validate() throws(SecretResolutionError) {
        switch self {
        case .literal(let value):
            guard !value.isEmpty else {
                throw SecretResolutionError(message: "the secret is empty")
            }
        case .environment(let name):
            guard !name.isEmpty else {
                throw SecretResolutionError(message: "`env:` needs the name of an environment variable")
            }
            guard !name.contains("="), !name.contains("\0") else {
                throw SecretResolutionError(message: "`env:\(name)` is not a variable name (it has `=` or a NUL byte)")
            }
        case .file(let path):
            guard !path.isEmpty else {
                throw SecretResolutionError(message: "`file:` needs the path of a file")
            }
            guard !path.contains("\0") else {
                throw SecretResolutionError(message: "the path of a `file:` secret has a NUL byte")
            }
        }
    }

    /// Fetches the secret; fails if the reference is malformed, the variable is unset, the file is unreadable, or the
    /// secret is empty.
    public func resolve(environment: [String: String]) throws(SecretResolutionError) -> String {
        try validate()
        switch self {
        case .literal(let value):
            return value
        case .environment(let name):
            guard let value = environment[name] else {
                throw SecretResolutionError(message: "environment variable `\(name)` is not set")
            }
            guard !value.isEmpty else {
                throw SecretResolutionError(message: "environment variable `\(name)` is empty")
            }
            return value
        case .file(let path):
            let value = try Self.readSecretFile(path)
            guard !value.isEmpty else {
                throw SecretResolutionError(message: "secret file `\(path)` is empty")
            }
            return value
        }
    }

    /// The file's text without trailing whitespace and line breaks, which editors and `echo` tend to add.
    private static func readSecretFile(_ path: String) throws(SecretResolutionError) -> String {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw SecretResolutionError(message: "secret file `\(path)` does not exist")
        }
        guard !isDirectory.boolValue else {
            throw SecretResolutionError(message: "secret file `\(path)` is a directory")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw SecretResolutionError(message: "secret file `\(path)` is not readable")
        }
        guard var text = String(data: data, encoding: .utf8) else {
            throw SecretResolutionError(message: "secret file `\(path)` is not UTF-8 text")
        }
        while let last = text.last, last.isWhitespace {
            text.removeLast()
        }
        return text
    }
}
