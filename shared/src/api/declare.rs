//! The `endpoints!` macro: one line per endpoint, turned into a type that
//! implements [`super::Endpoint`] and an entry in its area's `ALL`.
//!
//! ```text
//! /// What it does (the first line is the summary).
//! Name: METHOD "/path/{param}" (ParamType), access
//!     [, query QueryType] [, body BodyType]
//!     => [status] ResponseType [, [ErrorCode, …]] [, idempotent] [, csv]
//!     [, image] [, upload];
//! ```
//!
//! `csv` and `image` answer a file instead of JSON; `upload` takes a
//! picture's bytes as the body instead of JSON.
//!
//! ```text
//! ```

macro_rules! endpoints {
    (area $area:literal; $(
        $(#[doc = $doc:literal])+
        $name:ident : $method:ident $path:literal $(($pty:ty))?, $access:expr
        $(, query $qty:ty)?
        $(, body $bty:ty)?
        => $($status:literal)? $resp:ty
        $(, [$($err:ident),* $(,)?])?
        $(, $flag:ident)*
        ;
    )*) => {
        $(
            $(#[doc = $doc])+
            #[doc = ""]
            #[doc = concat!("`", stringify!($method), " /api", $path, "`")]
            #[derive(Clone, Copy, Debug)]
            pub struct $name;

            impl $crate::api::Endpoint for $name {
                const INFO: $crate::api::Info = $crate::api::Info {
                    name: stringify!($name),
                    area: $area,
                    method: method!($method),
                    path: $path,
                    access: { #[allow(unused_imports)] use $crate::api::Access::*; $access },
                    status: or_default!($($status)? ; 200),
                    answer: if flag_csv!($($flag)*) {
                        $crate::api::Answer::Csv
                    } else if flag_image!($($flag)*) {
                        $crate::api::Answer::Image
                    } else if or_default!($($status)? ; 200) == 204 {
                        $crate::api::Answer::Empty
                    } else {
                        $crate::api::Answer::Json
                    },
                    idempotent: flag_idempotent!($($flag)*),
                    has_body: present!($($bty)?),
                    upload: flag_upload!($($flag)*),
                    has_query: present!($($qty)?),
                    errors: &[$($($crate::error::ErrorCode::$err),*)?],
                    doc: concat!($($doc, "\n"),+),
                    #[cfg(feature = "openapi")]
                    schemas: $crate::api::Schemas {
                        path: schema_fn!(schema_of; $($pty)?),
                        query: schema_fn!(inline_schema_of; $($qty)?),
                        body: schema_fn!(schema_of; $($bty)?),
                        response: Some($crate::api::schema_of::<$resp>),
                    },
                };
                type Path = or_unit!($($pty)?);
                type Query = or_unit!($($qty)?);
                type Body = or_unit!($($bty)?);
                type Response = $resp;
            }
        )*

        /// This area's endpoints.
        pub(super) const ALL: &[$crate::api::Info] = &[
            $(<$name as $crate::api::Endpoint>::INFO),*
        ];
    };
}

macro_rules! method {
    (GET) => {
        $crate::api::Method::Get
    };
    (POST) => {
        $crate::api::Method::Post
    };
    (PUT) => {
        $crate::api::Method::Put
    };
    (PATCH) => {
        $crate::api::Method::Patch
    };
    (DELETE) => {
        $crate::api::Method::Delete
    };
}

macro_rules! or_unit {
    () => {
        ()
    };
    ($t:ty) => {
        $t
    };
}

macro_rules! or_default {
    (; $d:literal) => {
        $d
    };
    ($v:literal ; $d:literal) => {
        $v
    };
}

macro_rules! present {
    () => {
        false
    };
    ($t:ty) => {
        true
    };
}

#[allow(unused_macros)]
macro_rules! schema_fn {
    ($f:ident;) => {
        None
    };
    ($f:ident; $t:ty) => {
        Some($crate::api::$f::<$t>)
    };
}

macro_rules! flag_idempotent {
    () => { false };
    (idempotent $($rest:ident)*) => { true };
    ($other:ident $($rest:ident)*) => { flag_idempotent!($($rest)*) };
}

macro_rules! flag_csv {
    () => { false };
    (csv $($rest:ident)*) => { true };
    ($other:ident $($rest:ident)*) => { flag_csv!($($rest)*) };
}

macro_rules! flag_image {
    () => { false };
    (image $($rest:ident)*) => { true };
    ($other:ident $($rest:ident)*) => { flag_image!($($rest)*) };
}

macro_rules! flag_upload {
    () => { false };
    (upload $($rest:ident)*) => { true };
    ($other:ident $($rest:ident)*) => { flag_upload!($($rest)*) };
}
