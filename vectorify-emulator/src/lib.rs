//! A local stand-in for the Vectorify API.
