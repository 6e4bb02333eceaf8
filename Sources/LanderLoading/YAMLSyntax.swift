import Foundation
import LanderModel
import Yams

/// YAML errors as one sentence at the line and column they are on, instead of the parser's dump.
enum YAMLSyntax {
    static func diagnostic(_ error: YamlError, yaml: String, file: String) -> Diagnostic {
        func at(_ line: Int, _ column: Int) -> SourceLocation { SourceLocation(file: file, line: line, column: column) }
        switch error {
        case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _),
            .composer(_, let problem, let mark, _):
            return Diagnostic(
                "YAML syntax: \(problem)", at: at(mark.line, mark.column),
                hint: "check indentation and quoting on this line")
        case .reader(let problem, let offset, let value, _):
            let (line, column) = position(ofByte: offset ?? 0, in: yaml)
            if problem.contains("control characters") {
                let code = String(format: "U+%04X", value)
                return Diagnostic(
                    "the control character \(code) is not allowed in YAML", at: at(line, column),
                    hint:
                        "remove it, or write it as an escape (\\u\(String(format: "%04x", value))) in a double-quoted string"
                )
            }
            return Diagnostic(
                "YAML cannot be read here: \(problem)", at: at(line, column), hint: "save the file as UTF-8")
        case .duplicatedKeysInMapping(let duplicates, let context):
            let key = duplicates.sorted().first ?? ""
            let (line, column) =
                secondOccurrence(of: key, in: yaml, from: context.mark.line) ?? (context.mark.line, context.mark.column)
            return Diagnostic(
                "key '\(key)' appears twice in the same mapping", at: at(line, column),
                hint: "keep one of them (the first is above, in the mapping that starts at line \(context.mark.line))")
        default:
            return Diagnostic("YAML cannot be read: \(error)", at: at(1, 1), hint: "check the file is YAML")
        }
    }

    /// 1-based line and column of a byte offset.
    static func position(ofByte offset: Int, in text: String) -> (Int, Int) {
        let bytes = Array(text.utf8.prefix(offset))
        let line = bytes.filter { $0 == UInt8(ascii: "\n") }.count + 1
        let lineStart = bytes.lastIndex(of: UInt8(ascii: "\n")).map { $0 + 1 } ?? 0
        let column = String(decoding: bytes[lineStart...], as: UTF8.self).count + 1
        return (line, column)
    }

    /// Where a key is written the second time, at the indentation of its first time, from a line on.
    static func secondOccurrence(of key: String, in yaml: String, from firstLine: Int) -> (Int, Int)? {
        let forms = [key, "\"\(key)\"", "'\(key)'"]
        var first: (line: Int, column: Int)?
        for (index, text) in yaml.components(separatedBy: "\n").enumerated() where index + 1 >= firstLine {
            var column = 0
            var rest = Substring(text)
            while !rest.isEmpty {
                let boundary = column == 0 || " \t{,-".contains(text[text.index(text.startIndex, offsetBy: column - 1)])
                if boundary, let form = forms.first(where: { rest.hasPrefix($0) }),
                    rest.dropFirst(form.count).drop(while: { $0 == " " }).first == ":"
                {
                    guard let seen = first else {
                        first = (index + 1, column + 1)
                        rest = rest.dropFirst(form.count)
                        column += form.count
                        continue
                    }
                    // Block mappings: the same column; flow mappings: the same line.
                    if seen.column == column + 1 || seen.line == index + 1 { return (index + 1, column + 1) }
                }
                rest = rest.dropFirst()
                column += 1
            }
        }
        return nil
    }
}
