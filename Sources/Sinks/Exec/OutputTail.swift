import RelayCore

/// The last `limit` bytes a process wrote to one stream, however much it wrote: memory stays bounded.
struct OutputTail: Sendable {
    /// The most bytes kept.
    let limit: Int
    /// The kept bytes: the end of the stream.
    private(set) var bytes: [UInt8] = []
    /// How many bytes the stream carried in all.
    private(set) var total = 0

    /// An empty tail that keeps at most `limit` bytes.
    init(limit: Int) {
        self.limit = limit
        bytes.reserveCapacity(min(limit, 4096))
    }

    /// Adds bytes read from the stream, dropping the oldest beyond `limit`.
    mutating func append(_ chunk: UnsafeRawBufferPointer) {
        total += chunk.count
        if chunk.count >= limit {
            bytes = Array(chunk.suffix(limit))
            return
        }
        let overflow = bytes.count + chunk.count - limit
        if overflow > 0 { bytes.removeFirst(overflow) }
        bytes.append(contentsOf: chunk)
    }

    /// Whether earlier output was dropped.
    var isTruncated: Bool { total > bytes.count }

    /// The last `maxBytes` bytes (or all kept ones) as one printable line: control characters and runs of whitespace
    /// become one space; `…` marks a cut. With a `redactor`, the secrets it holds are replaced first, in all the
    /// kept bytes, so neither the cut nor the line-up can leave part of one behind.
    func text(last maxBytes: Int = .max, redacting redactor: SecretRedactor? = nil) -> String {
        var kept = bytes[...]
        if let redactor {
            // Start on a character boundary: skip UTF-8 continuation bytes.
            while let first = kept.first, first & 0xC0 == 0x80 { kept = kept.dropFirst() }
            kept = Array(redactor.redact(String(decoding: kept, as: UTF8.self), cutAtStart: isTruncated).utf8)[...]
        }
        var slice = kept.suffix(maxBytes)
        let cut = slice.count < kept.count || isTruncated
        // Start on a character boundary: skip UTF-8 continuation bytes.
        while let first = slice.first, first & 0xC0 == 0x80 { slice = slice.dropFirst() }
        var line = ""
        var pendingSpace = false
        for scalar in String(decoding: slice, as: UTF8.self).unicodeScalars {
            if scalar.value < 0x20 || scalar.value == 0x7F || scalar == " " {
                pendingSpace = !line.isEmpty
                continue
            }
            if pendingSpace { line.unicodeScalars.append(" ") }
            pendingSpace = false
            line.unicodeScalars.append(scalar)
        }
        return cut && !line.isEmpty ? "…" + line : line
    }
}
