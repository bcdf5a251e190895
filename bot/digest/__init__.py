"""The weekly digest: what it says, how it is split and rendered, when it is sent."""
