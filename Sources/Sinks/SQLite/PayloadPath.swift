import EngageEvents

/// A path into an event's payload as written in a config (`payload.items[0].sku`): keys match case-insensitively,
/// `[N]` indexes an array, and `payload` alone is the whole payload.
struct PayloadPath: Sendable, Hashable, CustomStringConvertible {
    /// One step of the path.
    enum Step: Sendable, Hashable {
        case key(String)
        case index(Int)
    }

    let steps: [Step]

    /// Parses `payload`, `payload.a.b`, `payload.items[0]`, `payload[2].x`; `nil` for anything else.
    init?(parsing text: String) {
        guard text.hasPrefix("payload") else { return nil }
        var rest = Substring(text.dropFirst("payload".count))
        var steps: [Step] = []
        while let first = rest.first {
            if first == "." {
                rest = rest.dropFirst()
                let key = rest.prefix { $0 != "." && $0 != "[" && $0 != "]" }
                guard !key.isEmpty, !key.contains(where: \.isWhitespace) else { return nil }
                steps.append(.key(String(key)))
                rest = rest.dropFirst(key.count)
            } else if first == "[" {
                rest = rest.dropFirst()
                let digits = rest.prefix(while: \.isASCII).prefix(while: \.isNumber)
                guard !digits.isEmpty, digits.count <= 9, let index = Int(digits),
                    rest.dropFirst(digits.count).first == "]"
                else { return nil }
                steps.append(.index(index))
                rest = rest.dropFirst(digits.count + 1)
            } else {
                return nil
            }
        }
        self.steps = steps
    }

    /// The value at the end of the path, or `nil` when a key or index is missing.
    func value(in payload: JSONValue) -> JSONValue? {
        var current = payload
        for step in steps {
            switch step {
            case .key(let key):
                guard let next = current[key] else { return nil }
                current = next
            case .index(let index):
                guard case .array(let elements) = current, elements.indices.contains(index) else { return nil }
                current = elements[index]
            }
        }
        return current
    }

    /// The path as written.
    var description: String {
        steps.reduce("payload") { text, step in
            switch step {
            case .key(let key): text + "." + key
            case .index(let index): text + "[\(index)]"
            }
        }
    }
}
