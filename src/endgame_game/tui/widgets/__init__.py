"""Dashboard widgets. Each one is told what to show (``show(...)``) by its screen: attributes down."""
