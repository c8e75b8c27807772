"""Figures a test measured, printed in the run's output."""


def report_figure(request, text):
    """Print a measured figure in the run's output, whatever pytest captures."""
    line = f"[twelve-factor] {text}"
    plugins = request.config.pluginmanager
    reporter = plugins.get_plugin("terminalreporter")
    capture = plugins.get_plugin("capturemanager")
    if reporter is not None and capture is not None:
        with capture.global_and_fixture_disabled():
            reporter.write_line(f"\n{line}")
