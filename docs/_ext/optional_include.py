"""``.. optional-markdown-include:: path``: include a Markdown file if it exists.

Some pages of the user guide fold in Markdown notes kept next to the code
(the optimizer table, the regularizer notes, the benchmark results). The path
is relative to the documentation's source folder. When the file exists it is
parsed with MyST, whose headings nest under the section that includes it
(``:heading-offset: n`` shifts them down ``n`` more levels); ``:title:`` (with
``:title-underline:``, default ``-``) puts a section title above it. When the
file does not exist, the directive's content (reStructuredText) is used
instead, without the title.
"""

import os
import re
from pathlib import Path

from docutils.parsers.rst import directives
from sphinx.util.docutils import SphinxDirective

_HEADING = re.compile(r"^(#{1,6})(\s)", re.MULTILINE)
_FENCE = re.compile(r"^(```|~~~)", re.MULTILINE)


def shift_headings(text, offset):
    """Add ``offset`` levels to every ATX heading outside code fences."""
    if offset <= 0:
        return text
    out, in_fence = [], False
    for line in text.splitlines(keepends=True):
        if _FENCE.match(line):
            in_fence = not in_fence
        elif not in_fence:
            line = _HEADING.sub(lambda m: "#" * min(6, len(m.group(1)) + offset) + m.group(2), line)
        out.append(line)
    return "".join(out)


class OptionalMarkdownInclude(SphinxDirective):
    required_arguments = 1
    has_content = True
    option_spec = {
        "heading-offset": directives.nonnegative_int,
        "title": directives.unchanged,
        "title-underline": directives.single_char_or_unicode,
    }

    def run(self):
        source = Path(self.env.srcdir, self.arguments[0]).resolve()
        if not source.is_file():
            if not self.content:
                return []
            self.state_machine.insert_input(list(self.content), self.get_source_info()[0])
            return []
        self.env.note_dependency(str(source))
        text = shift_headings(
            source.read_text(encoding="utf-8"), self.options.get("heading-offset", 0)
        )
        # MyST parses the (shifted) copy through docutils' own include directive
        copy = Path(self.env.doctreedir, "optional_include", source.name)
        copy.parent.mkdir(parents=True, exist_ok=True)
        if not copy.is_file() or copy.read_text(encoding="utf-8") != text:
            copy.write_text(text, encoding="utf-8")
        # Sphinx reads an absolute include path as relative to the source
        # folder, so give it the path relative to this document
        source_file = self.get_source_info()[0]
        relative = os.path.relpath(copy, os.path.dirname(source_file))
        lines = [f".. include:: {relative}", "   :parser: myst_parser.sphinx_"]
        title = self.options.get("title")
        if title:
            underline = self.options.get("title-underline", "-") * len(title)
            lines = [title, underline, "", *lines]
        self.state_machine.insert_input(lines, source_file)
        return []


def setup(app):
    app.add_directive("optional-markdown-include", OptionalMarkdownInclude)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
