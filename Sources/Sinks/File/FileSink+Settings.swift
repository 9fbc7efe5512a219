#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif
import RelayConfig
import RelayCore

extension FileSink {
    /// How often the sink asks the kernel to put written lines on disk.
    enum SyncMode: String, Sendable, CaseIterable {
        /// One `write` and one `fsync` per event.
        case always
        /// One `write` and one `fsync` per batch.
        case batch
        /// Writes only; the kernel flushes when it likes.
        case never
    }

    /// When to start a new file.
    struct Rotation: Sendable, Equatable {
        /// Rotate before a batch that would take the file past this many bytes.
        var maxBytes: Int64?
        /// Rotate before the first batch of a new UTC day.
        var daily = false
    }

    /// The `file` options, checked and converted; built without I/O.
    struct Settings: Sendable {
        var path: String
        var rotation: Rotation?
        var keep: Int?
        var sync: SyncMode
        var mode: mode_t

        static let defaultMode: mode_t = 0o640

        /// Reads validated options, applying defaults, and reports every problem at once.
        init(_ configuration: SinkConfiguration) throws {
            let options = configuration.options
            var problems: [String] = []
            path = options[Key.path] ?? ""
            if path.isEmpty { problems.append("the file sink needs `path`") }

            let rotateWords = (options[Key.rotate] ?? []).flatMap { $0 }
            if rotateWords.isEmpty {
                rotation = nil
            } else {
                var parsed = Rotation()
                for word in rotateWords {
                    if word == "daily" {
                        parsed.daily = true
                    } else if let bytes = ConfigValue.byteSize(word), bytes > 0 {
                        if parsed.maxBytes != nil {
                            problems.append("`rotate` takes one size, not two (`\(word)`)")
                        }
                        parsed.maxBytes = bytes
                    } else {
                        problems.append("`rotate` takes a size such as 100MiB and/or `daily`, not `\(word)`")
                    }
                }
                rotation = parsed
            }

            keep = options[Key.keep]
            if keep != nil && rotation == nil {
                problems.append("`keep` counts rotated files, so it needs `rotate` (for example `rotate 100MiB`)")
            }

            sync = options[Key.fsync] ?? .batch

            if let text = options[Key.mode] {
                mode = Self.permissionBits(text) ?? Self.defaultMode
                if Self.permissionBits(text) == nil {
                    problems.append("`mode` must be octal permission bits such as 0640 or 0600, not `\(text)`")
                } else if mode & 0o200 == 0 {
                    problems.append(
                        "`mode \(text)` leaves the sink unable to append to its own file after a restart; "
                            + "give the owner write permission, such as 0640")
                }
            } else {
                mode = Self.defaultMode
            }

            if !problems.isEmpty {
                throw SinkError("sink `\(configuration.name)`: " + problems.joined(separator: "; "))
            }
        }

        /// `0640` or `640`: three octal digits, optionally after a `0` (no setuid, setgid or sticky bits).
        static func permissionBits(_ text: String) -> mode_t? {
            let digits = text.count == 4 && text.hasPrefix("0") ? Substring(text.dropFirst()) : Substring(text)
            guard digits.count == 3, digits.allSatisfy({ ("0"..."7").contains($0) }) else { return nil }
            return mode_t(digits, radix: 8)
        }
    }
}
