#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif
import Foundation

extension FileSink {
    /// The names of rotated files: `events.jsonl` becomes `events.20240302-000030.jsonl`, stamped with the UTC time
    /// it was rotated out (so every line in it is older), and `events.20240302-000030-1.jsonl` when that name is
    /// taken (two rotations in one second). A path without an extension gets the stamp at the end.
    struct RotatedNames: Sendable {
        /// The folder that holds the file and its rotated copies.
        let folder: String
        let stem: String
        let suffix: String

        init(path: String) {
            let folder = (path as NSString).deletingLastPathComponent
            self.folder = folder.isEmpty ? "." : folder
            let name = (path as NSString).lastPathComponent
            let ext = (name as NSString).pathExtension
            stem = ext.isEmpty ? name : (name as NSString).deletingPathExtension
            suffix = ext.isEmpty ? "" : "." + ext
        }

        /// The file name for a rotation at `stamp`, the `counter`-th in that second.
        func fileName(stamp: String, counter: Int) -> String {
            stem + "." + stamp + (counter == 0 ? "" : "-\(counter)") + suffix
        }

        /// The full path of `fileName` next to the live file.
        func path(of fileName: String) -> String { folder + "/" + fileName }

        /// Where a file name sorts among rotated files (oldest first), or nil when it is not one of ours.
        func order(of fileName: String) -> (stamp: String, counter: Int)? {
            guard fileName.hasPrefix(stem + "."), fileName.hasSuffix(suffix),
                fileName.count > stem.count + 1 + suffix.count
            else { return nil }
            let middle = fileName.dropFirst(stem.count + 1).dropLast(suffix.count)
            let parts = middle.split(separator: "-", omittingEmptySubsequences: false)
            guard parts.count == 2 || parts.count == 3, parts[0].count == 8, parts[1].count == 6,
                parts.allSatisfy({ !$0.isEmpty && $0.allSatisfy(\.isASCIIDigit) })
            else { return nil }
            let counter = parts.count == 3 ? Int(parts[2]) : 0
            guard let counter, parts.count == 2 || parts[2].first != "0" else { return nil }
            return (String(parts[0]) + "-" + String(parts[1]), counter)
        }

        /// Every rotated file in the folder, oldest first.
        func existing() -> [(fileName: String, stamp: String, counter: Int)] {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
            return names.compactMap { name in order(of: name).map { (name, $0.stamp, $0.counter) } }
                .sorted { ($0.stamp, $0.counter) < ($1.stamp, $1.counter) }
        }

        /// A path for a rotation at `stamp` that no file has yet.
        func freePath(stamp: String) -> String {
            // Count on from the highest counter of this second, not from the lowest free one: `keep` may have
            // deleted earlier files of the same second, and a reused low counter would sort as the oldest file.
            var counter = (existing().filter { $0.stamp == stamp }.map(\.counter).max() ?? -1) + 1
            while true {
                let candidate = path(of: fileName(stamp: stamp, counter: counter))
                var status = stat()
                // Any failure means no file is known to be there; `rename` reports a real problem clearly.
                if lstat(candidate, &status) != 0 { return candidate }
                counter += 1
            }
        }
    }

    /// `YYYYMMDD-HHMMSS` in UTC.
    static func stamp(_ date: Date) -> String {
        var seconds = time_t(date.timeIntervalSince1970.rounded(.down))
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func digits(_ value: Int32, _ width: Int) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        return digits(parts.tm_year + 1900, 4) + digits(parts.tm_mon + 1, 2) + digits(parts.tm_mday, 2) + "-"
            + digits(parts.tm_hour, 2) + digits(parts.tm_min, 2) + digits(parts.tm_sec, 2)
    }

    /// Days since 1970-01-01 in UTC.
    static func utcDay(_ date: Date) -> Int64 {
        Int64((date.timeIntervalSince1970 / 86_400).rounded(.down))
    }
}

extension Character {
    fileprivate var isASCIIDigit: Bool { ("0"..."9").contains(self) }
}
