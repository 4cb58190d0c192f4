import { Component, type ReactNode } from "react";
import { plainError } from "../wallet/plain-error";

/** A page that fails to render says so in words and keeps the header, instead of leaving a blank window. */
export class ErrorBoundary extends Component<{ children: ReactNode }, { error?: unknown }> {
  state: { error?: unknown } = {};

  static getDerivedStateFromError(error: unknown) {
    return { error };
  }

  render() {
    if (this.state.error === undefined) return this.props.children;
    return (
      <p role="alert" className="error">
        This page failed: {plainError(this.state.error)}. Reload it to try again.
      </p>
    );
  }
}
