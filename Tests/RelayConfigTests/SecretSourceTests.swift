import Foundation
import RelayConfig
import Testing

@Suite("Secrets")
struct SecretSourceTests {
    /// A fresh temporary file holding `contents`; removed by the caller.
    private func temporaryFile(_ contents: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("relay-secret-\(UUID().uuidString)")
            .path
        try contents.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test(arguments: [
        ("env:ENGAGE_SIGNING_SECRET", SecretSource.environment("ENGAGE_SIGNING_SECRET")),
        ("file:/etc/engage-relay/payload.key", .file("/etc/engage-relay/payload.key")),
        ("whsec_abc", .literal("whsec_abc")),
        ("ENV:X", .literal("ENV:X")),
        ("environment", .literal("environment")),
        ("env:", .environment("")),
    ])
    func theTextPrefixChoosesTheSource(text: String, expected: SecretSource) {
        #expect(SecretSource(text) == expected)
    }

    @Test func theDescriptionNamesTheSourceButNeverALiteralValue() {
        #expect(SecretSource("env:ENGAGE_SIGNING_SECRET").description == "env:ENGAGE_SIGNING_SECRET")
        #expect(SecretSource("file:/run/secret").description == "file:/run/secret")
        let literal = SecretSource("whsec_TOPSECRET")
        #expect(literal.description == "<literal>")
        #expect(!"\(literal)".contains("TOPSECRET"))
        #expect(!String(reflecting: literal).contains("TOPSECRET"))
        var dumped = ""
        dump(literal, to: &dumped)
        #expect(!dumped.contains("TOPSECRET"))
    }

    @Test func anEnvironmentSecretResolvesToTheVariableValue() throws {
        let secret = try SecretSource("env:ENGAGE_SIGNING_SECRET").resolve(environment: [
            "ENGAGE_SIGNING_SECRET": "whsec_x"
        ])
        #expect(secret == "whsec_x")
    }

    @Test func aMissingEnvironmentVariableIsAnErrorNamingIt() {
        #expect(throws: SecretResolutionError(message: "environment variable `ENGAGE_SIGNING_SECRET` is not set")) {
            try SecretSource("env:ENGAGE_SIGNING_SECRET").resolve(environment: ["OTHER": "x"])
        }
    }

    @Test func anEmptyEnvironmentVariableOrNameIsAnError() {
        #expect(throws: SecretResolutionError(message: "environment variable `TOKEN` is empty")) {
            try SecretSource("env:TOKEN").resolve(environment: ["TOKEN": ""])
        }
        #expect(throws: SecretResolutionError.self) {
            try SecretSource("env:").resolve(environment: ["": "x"])
        }
    }

    @Test func aFileSecretIsTheFileContentWithoutTrailingWhitespace() throws {
        let path = try temporaryFile("  s3cret value\n\n \t\r\n")
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(try SecretSource("file:" + path).resolve(environment: [:]) == "  s3cret value")
    }

    @Test func aMissingFileIsAnErrorNamingThePath() {
        let path = "/nonexistent/relay-\(UUID().uuidString).key"
        #expect(throws: SecretResolutionError(message: "secret file `\(path)` does not exist")) {
            try SecretSource("file:" + path).resolve(environment: [:])
        }
    }

    @Test(arguments: ["", "\n", "  \n\t\n"])
    func anEmptyOrBlankFileIsAnError(contents: String) throws {
        let path = try temporaryFile(contents)
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(throws: SecretResolutionError(message: "secret file `\(path)` is empty")) {
            try SecretSource("file:" + path).resolve(environment: [:])
        }
    }

    @Test func aDirectoryIsNotASecretFile() {
        let path = FileManager.default.temporaryDirectory.path
        #expect(throws: SecretResolutionError(message: "secret file `\(path)` is a directory")) {
            try SecretSource("file:" + path).resolve(environment: [:])
        }
    }

    @Test func aLiteralResolvesToItselfUnlessEmpty() throws {
        #expect(try SecretSource("whsec_abc").resolve(environment: [:]) == "whsec_abc")
        #expect(throws: SecretResolutionError(message: "the secret is empty")) {
            try SecretSource("").resolve(environment: [:])
        }
    }
}

@Suite("Secrets checked without reading them")
struct SecretSourceValidationTests {
    @Test(arguments: ["env:UNSET_\(UUID().uuidString.prefix(8))", "file:/no/such/file", "whsec_literal"])
    func aWellFormedReferenceValidatesWithoutBeingRead(text: String) throws {
        try SecretSource(text).validate()
    }

    @Test(arguments: ["env:", "env:A=B", "env:A\u{0}B", "file:", "file:/a\u{0}b", ""])
    func aMalformedReferenceFailsBothValidationAndResolution(text: String) {
        #expect(throws: SecretResolutionError.self) { try SecretSource(text).validate() }
        #expect(throws: SecretResolutionError.self) {
            try SecretSource(text).resolve(environment: ["": "x", "A=B": "x", "A\u{0}B": "x"])
        }
    }
}
