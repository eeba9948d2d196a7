import pytest

from apps.core.markdown import render_markdown


@pytest.mark.parametrize(
    "source",
    [
        "<script>alert(1)</script>hello",
        '<img src=x onerror="alert(1)">',
        "[click](javascript:alert(1))",
        '<a href="javascript:alert(1)">x</a>',
        '<p onclick="alert(1)">x</p>',
        '<iframe src="https://evil.example"></iframe>',
        '<a href="JaVaScRiPt:alert(1)">x</a>',
    ],
)
def test_dangerous_markup_never_survives(source):
    html = str(render_markdown(source)).lower()
    assert "<script" not in html
    assert "onerror" not in html
    assert "onclick" not in html
    assert "javascript:" not in html
    assert "<iframe" not in html


def test_ordinary_markdown_renders():
    html = str(render_markdown("# Title\n\n- **bold** item\n- [link](https://example.com)\n\n| a | b |\n|---|---|\n| 1 | 2 |"))
    assert "<h1>Title</h1>" in html
    assert "<strong>bold</strong>" in html
    assert 'href="https://example.com"' in html
    assert 'rel="noopener noreferrer nofollow"' in html
    assert "<td>1</td>" in html


def test_empty_text_renders_empty():
    assert render_markdown(None) == ""
    assert render_markdown("") == ""
