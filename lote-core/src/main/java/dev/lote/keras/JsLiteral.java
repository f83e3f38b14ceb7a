package dev.lote.keras;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * Reads a JavaScript object literal as minifiers write it (unquoted keys, {@code !0}/{@code !1}, {@code .5},
 * {@code 1e-3}) into JSON: how tfjs models bundled in JS modules (nsfwjs) carry their topology. Data only; nothing
 * is evaluated, and anything that is not a literal is refused.
 */
final class JsLiteral {
    private final String s;
    private int at;

    private JsLiteral(String s, int at) {
        this.s = s;
        this.at = at;
    }

    /** The literal that starts at {@code from} (an object, array or string). */
    static JsonNode parse(String text, int from) {
        return new JsLiteral(text, from).value();
    }

    private JsonNode value() {
        space();
        char c = peek();
        if (c == '{') return object();
        if (c == '[') return array();
        if (c == '"' || c == '\'') return JsonNodeFactory.instance.textNode(string());
        if (c == '!') {
            at++;
            char d = s.charAt(at++);
            if (d == '0' || d == '1') return JsonNodeFactory.instance.booleanNode(d == '0');
            throw error("expected !0 or !1");
        }
        if (c == '-' || c == '.' || Character.isDigit(c)) return number();
        String word = identifier();
        return switch (word) {
            case "true" -> JsonNodeFactory.instance.booleanNode(true);
            case "false" -> JsonNodeFactory.instance.booleanNode(false);
            case "null" -> JsonNodeFactory.instance.nullNode();
            case "void" -> {
                space();
                number();
                yield JsonNodeFactory.instance.nullNode(); // void 0 is undefined
            }
            default -> throw error("'" + word + "' is not a literal");
        };
    }

    private ObjectNode object() {
        ObjectNode o = JsonNodeFactory.instance.objectNode();
        at++;
        while (true) {
            space();
            if (peek() == '}') { at++; return o; }
            String key = peek() == '"' || peek() == '\'' ? string() : identifier();
            space();
            expect(':');
            o.set(key, value());
            space();
            if (peek() == ',') at++;
            else if (peek() != '}') throw error("expected , or }");
        }
    }

    private ArrayNode array() {
        ArrayNode a = JsonNodeFactory.instance.arrayNode();
        at++;
        while (true) {
            space();
            if (peek() == ']') { at++; return a; }
            a.add(value());
            space();
            if (peek() == ',') at++;
            else if (peek() != ']') throw error("expected , or ]");
        }
    }

    private String string() {
        char quote = s.charAt(at++);
        StringBuilder b = new StringBuilder();
        while (true) {
            if (at >= s.length()) throw error("unterminated string");
            char c = s.charAt(at++);
            if (c == quote) return b.toString();
            if (c != '\\') { b.append(c); continue; }
            char e = s.charAt(at++);
            switch (e) {
                case 'n' -> b.append('\n');
                case 't' -> b.append('\t');
                case 'r' -> b.append('\r');
                case 'u' -> { b.append((char) Integer.parseInt(s.substring(at, at + 4), 16)); at += 4; }
                default -> b.append(e);
            }
        }
    }

    private JsonNode number() {
        int start = at;
        while (at < s.length() && "+-.0123456789eE".indexOf(s.charAt(at)) >= 0) at++;
        String n = s.substring(start, at);
        try {
            if (n.matches("-?\\d+")) return JsonNodeFactory.instance.numberNode(Long.parseLong(n));
            return JsonNodeFactory.instance.numberNode(Double.parseDouble(n));
        } catch (NumberFormatException e) {
            throw error("'" + n + "' is not a number");
        }
    }

    private String identifier() {
        int start = at;
        while (at < s.length() && (Character.isLetterOrDigit(s.charAt(at)) || s.charAt(at) == '_' || s.charAt(at) == '$')) at++;
        if (start == at) throw error("unexpected '" + peek() + "'");
        return s.substring(start, at);
    }

    private void expect(char c) {
        if (peek() != c) throw error("expected " + c);
        at++;
    }

    private char peek() {
        if (at >= s.length()) throw error("unexpected end");
        return s.charAt(at);
    }

    private void space() { while (at < s.length() && Character.isWhitespace(s.charAt(at))) at++; }

    private IllegalArgumentException error(String what) {
        return new IllegalArgumentException("not a JavaScript literal at character " + at + ": " + what);
    }
}
