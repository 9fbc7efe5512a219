import Foundation

/// The products the package manager built beside the running tests.
public enum BuiltProducts {
    /// The executable product `name` from the build folder these tests run from (`swift build --build-tests`
    /// builds a package's executables there too).
    public static func executable(named name: String) -> URL {
        // This module's resource bundle sits in the build folder, beside the test bundle and the executables.
        var folder = Bundle.module.bundleURL.deletingLastPathComponent()
        for _ in 0..<3 {
            let candidate = folder.appendingPathComponent(name)
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            folder = folder.deletingLastPathComponent()
        }
        return Bundle.module.bundleURL.deletingLastPathComponent().appendingPathComponent(name)
    }
}
