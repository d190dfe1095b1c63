"""Sphinx configuration of the skreg documentation.

Build (as CI does, warnings are errors)::

    python -m pip install -e ".[docs]"
    python -m sphinx -W --keep-going -b html docs docs/_build/html

The gallery in ``examples/`` is run during the build. The build needs no
network: intersphinx links to other projects' documentation are made only when
``SKREG_DOCS_INTERSPHINX=1`` is set.
"""

import os
import shutil
import sys
from pathlib import Path

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE / "_ext"))
os.environ.setdefault("MPLBACKEND", "Agg")

import skreg  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402

# The gallery's networks are small: one BLAS thread runs them as fast as two,
# and does not slow to a crawl when the machine is busy with other work.
threadpool_limits(limits=1, user_api="blas")
# The gallery runs skreg's numpy code: the compiled kernels (the ``fast``
# extra) give the same numbers, and on networks this small their compile time
# (seconds per optimizer) would outweigh what they save.
os.environ.setdefault("SKREG_DISABLE_NUMBA", "1")

project = "skreg"
author = "the skreg developers"
copyright = "the skreg developers"
release = skreg.__version__
version = ".".join(release.split(".")[:2])

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
    "myst_parser",
    "optional_include",
]

if os.environ.get("SKREG_DOCS_INTERSPHINX") == "1":
    extensions.append("sphinx.ext.intersphinx")
    intersphinx_mapping = {
        "python": ("https://docs.python.org/3", None),
        "numpy": ("https://numpy.org/doc/stable", None),
        "sklearn": ("https://scikit-learn.org/stable", None),
        "matplotlib": ("https://matplotlib.org/stable", None),
        "scipy": ("https://docs.scipy.org/doc/scipy", None),
        "joblib": ("https://joblib.readthedocs.io/en/stable", None),
        "distributed": ("https://distributed.dask.org/en/stable", None),
    }
else:
    # Offline (the default): names of other projects' objects cannot be
    # resolved, so a nitpicky build (``-n``) ignores them. References to
    # skreg's own objects must still resolve (tests/test_docs.py).
    nitpick_ignore_regex = [
        (r"py:.*", r"(sklearn|numpy|scipy|matplotlib|joblib|distributed|dask|pickle|numba)(\..*)?"),
    ]

source_suffix = {".rst": "restructuredtext"}
root_doc = "index"
# Markdown notes are folded into pages by optional-markdown-include, not pages
exclude_patterns = ["_build", "**.ipynb_checkpoints", "*.md", "**/*.md"]
templates_path = ["_templates"]
default_role = "literal"

# -- API reference -------------------------------------------------------------
autosummary_generate = True
autodoc_typehints = "none"
autodoc_default_options = {"inherited-members": True}


def _skip_sklearn_members(app, what, name, obj, skip, options):
    """Document what skreg defines; methods inherited from scikit-learn
    (get_params, score, set_callbacks, metadata routing, ...) are documented
    by scikit-learn and listed in the class template."""
    module = getattr(getattr(obj, "__func__", obj), "__module__", None) or ""
    if what == "class" and module.split(".")[0] == "sklearn":
        return True
    return None


# -- math ----------------------------------------------------------------------
# Formulas are rendered by MathJax 2.7 served with the pages, so that they show
# without internet: the build copies the parts it needs (TeX input, SVG output
# and its TeX fonts, about 2.5 MB) from a local MathJax, Debian's
# ``libjs-mathjax`` (``apt-get install libjs-mathjax``) or the folder named by
# ``SKREG_MATHJAX_DIR``. Without one, the pages load MathJax from its CDN.
# (Sphinx's image math, ``sphinx.ext.imgmath``, would need LaTeX and dvipng.)
MATHJAX_SOURCE = Path(os.environ.get("SKREG_MATHJAX_DIR", "/usr/share/javascript/mathjax"))
MATHJAX_PARTS = [
    "MathJax.js",
    "config/TeX-AMS_SVG-full.js",
    "extensions",
    "jax/input/TeX",
    "jax/element",
    "jax/output/SVG/jax.js",
    "jax/output/SVG/config.js",
    "jax/output/SVG/autoload",
    "jax/output/SVG/fonts/TeX",
]
LOCAL_MATHJAX = all((MATHJAX_SOURCE / part).exists() for part in MATHJAX_PARTS)
if LOCAL_MATHJAX:
    mathjax_path = "mathjax/MathJax.js?config=TeX-AMS_SVG-full"


def _copy_mathjax(app, exception):
    """Copy the local MathJax's parts next to the pages' other static files."""
    if exception is not None or not LOCAL_MATHJAX or app.builder.format != "html":
        return
    target = Path(app.outdir, "_static", "mathjax")
    for part in MATHJAX_PARTS:
        source, destination = MATHJAX_SOURCE / part, target / part
        destination.parent.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            shutil.copytree(source, destination, dirs_exist_ok=True)
        else:
            shutil.copyfile(source, destination)


def setup(app):
    app.connect("autodoc-skip-member", _skip_sklearn_members)
    app.connect("build-finished", _copy_mathjax)

numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_attributes_as_param_list = True
# every public object documents all its parameters and has a docstring
numpydoc_validation_checks = {"PR01", "PR02", "GL08"}
numpydoc_validation_exclude = {
    r"\.__init__$",
    # inherited from scikit-learn, documented there
    r"\.set_\w+_request$",
    r"\.get_metadata_routing$",
    r"\.set_callbacks$",
    r"\.set_params$",
    r"\.get_params$",
    r"\.score$",
    # building blocks, documented for those who extend skreg: their module
    # docstrings describe the protocols; not every argument is listed
    r"^skreg\.(activations|constraints|initializers|losses|network|noise|penalties|rules|schedules|transforms)\.",
}

# -- gallery -------------------------------------------------------------------
sphinx_gallery_conf = {
    "examples_dirs": str(HERE.parent / "examples"),
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    "ignore_pattern": r"__init__\.py",
    "within_subsection_order": "FileNameSortKey",
    "doc_module": ("skreg",),
    "reference_url": {"skreg": None},
    "backreferences_dir": "generated/backreferences",
    "download_all_examples": False,
    "remove_config_comments": True,
    "abort_on_example_error": True,
    "only_warn_on_example_error": False,
    "matplotlib_animations": False,
    "show_memory": False,
    "image_scrapers": ("matplotlib",),
    # print() output only: no repr of a cell's last expression (Text(...), ...)
    "capture_repr": (),
}

# -- HTML ----------------------------------------------------------------------
html_theme = "pydata_sphinx_theme"
html_title = f"skreg {release}"
html_theme_options = {
    "navbar_align": "left",
    "show_prev_next": False,
    "secondary_sidebar_items": ["page-toc"],
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version"],
}
html_sidebars = {"index": []}
html_static_path = ["_static"]
html_css_files = ["custom.css"]
html_show_sourcelink = False
