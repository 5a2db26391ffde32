//! Guards: what an identity must have for a route to let it in. All of a route's
//! guards must pass; they read only the `Identity`, so they cost no Python, except a
//! permission guard over credentials that carry no permissions: Django decides it.

use super::identity::Identity;

#[derive(Debug, PartialEq)]
pub enum Guard {
    /// Lets everyone in, and so makes authentication optional on its route.
    AllowAny,
    IsAuthenticated,
    /// A superuser (Django's `is_superuser`).
    IsAdminUser,
    IsStaff,
    HasPermission(String),
    HasAnyPermission(Vec<String>),
    HasAllPermissions(Vec<String>),
}

/// Why a guard keeps a request out.
#[derive(Debug, PartialEq)]
pub enum Denial {
    /// Nobody is authenticated: 401.
    Unauthenticated,
    /// Somebody is, without the right: 403 with the guard's requirement (the text is
    /// Python's, `Guard.requirement`, shared with the guards Python runs for sessions).
    Forbidden,
    /// The permissions are in the database, not in the credentials: Python asks Django.
    Undecided,
}

impl Guard {
    /// `{"kind": ..., "permissions": [...]}` from Python's guard classes.
    pub fn from_kind(kind: &str, permissions: Vec<String>) -> Result<Guard, String> {
        let needs_permissions = |guard: fn(Vec<String>) -> Guard| match permissions.is_empty() {
            true => Err(format!("guard {kind} names no permission")),
            false => Ok(guard(permissions.clone())),
        };
        match kind {
            "allow_any" => Ok(Guard::AllowAny),
            "is_authenticated" => Ok(Guard::IsAuthenticated),
            "is_admin_user" => Ok(Guard::IsAdminUser),
            "is_staff" => Ok(Guard::IsStaff),
            "has_permission" if permissions.len() == 1 => {
                Ok(Guard::HasPermission(permissions[0].clone()))
            }
            "has_permission" => Err("HasPermission takes exactly one permission".into()),
            "has_any_permission" => needs_permissions(Guard::HasAnyPermission),
            "has_all_permissions" => needs_permissions(Guard::HasAllPermissions),
            other => Err(format!("unknown guard kind {other:?}")),
        }
    }

    pub fn check(&self, identity: Option<&Identity>) -> Result<(), Denial> {
        if *self == Guard::AllowAny {
            return Ok(());
        }
        let identity = identity.ok_or(Denial::Unauthenticated)?;
        let (allowed, reads_permissions) = match self {
            Guard::AllowAny | Guard::IsAuthenticated => (true, false),
            Guard::IsAdminUser => (identity.is_superuser, false),
            Guard::IsStaff => (identity.is_staff, false),
            Guard::HasPermission(p) => (identity.has_permission(p), true),
            Guard::HasAnyPermission(ps) => (ps.iter().any(|p| identity.has_permission(p)), true),
            Guard::HasAllPermissions(ps) => (ps.iter().all(|p| identity.has_permission(p)), true),
        };
        match (
            allowed,
            reads_permissions && identity.permissions_in_database,
        ) {
            (true, _) => Ok(()),
            (false, true) => Err(Denial::Undecided),
            (false, false) => Err(Denial::Forbidden),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn staff_with(permissions: &[&str]) -> Identity {
        Identity {
            is_staff: true,
            permissions: permissions.iter().map(|p| p.to_string()).collect(),
            ..Identity::default()
        }
    }

    #[test]
    fn nobody_is_unauthenticated_except_for_allow_any() {
        assert_eq!(Guard::AllowAny.check(None), Ok(()));
        assert_eq!(Guard::IsStaff.check(None), Err(Denial::Unauthenticated));
        assert_eq!(
            Guard::HasPermission("a.b".into()).check(None),
            Err(Denial::Unauthenticated)
        );
    }

    #[test]
    fn permissions_any_and_all() {
        let identity = staff_with(&["reports.view"]);
        let any = Guard::HasAnyPermission(vec!["reports.view".into(), "reports.export".into()]);
        let all = Guard::HasAllPermissions(vec!["reports.view".into(), "reports.export".into()]);
        assert_eq!(any.check(Some(&identity)), Ok(()));
        assert!(matches!(all.check(Some(&identity)), Err(Denial::Forbidden)));
        assert_eq!(Guard::IsStaff.check(Some(&identity)), Ok(()));
        assert!(Guard::IsAdminUser.check(Some(&identity)).is_err());
    }

    #[test]
    fn permissions_kept_in_the_database_are_left_to_django() {
        let user = Identity {
            user_id: Some("7".into()),
            permissions_in_database: true,
            ..Identity::default()
        };
        let add = Guard::HasPermission("blog.add_article".into());
        assert_eq!(add.check(Some(&user)), Err(Denial::Undecided));
        assert_eq!(Guard::IsStaff.check(Some(&user)), Err(Denial::Forbidden));
        let root = Identity {
            is_superuser: true,
            ..user
        };
        assert_eq!(add.check(Some(&root)), Ok(()));
    }

    #[test]
    fn a_superuser_has_every_permission() {
        let root = Identity {
            is_superuser: true,
            ..Identity::default()
        };
        let all = Guard::HasAllPermissions(vec!["deploy.create".into(), "deploy.approve".into()]);
        assert_eq!(all.check(Some(&root)), Ok(()));
        assert_eq!(Guard::IsAdminUser.check(Some(&root)), Ok(()));
    }
}
