//! Sign-in and password change.

use chimpassist_protocol::ErrorCode;

#[derive(Debug)]
pub struct LoginTexts {
    pub email: &'static str,
    pub password: &'static str,
    pub sign_in: &'static str,
    pub signing_in: &'static str,
    pub wrong_credentials: &'static str,
    pub unreachable: &'static str,
    pub rate_limited: &'static str,
    pub rate_limited_one: &'static str,
    pub rate_limited_soon: &'static str,
    pub busy: &'static str,
    pub session_ended: &'static str,
    pub change_title: &'static str,
    pub change_hint: &'static str,
    pub current_password: &'static str,
    pub new_password: &'static str,
    pub repeat_password: &'static str,
    pub mismatch: &'static str,
    pub too_short: &'static str,
    pub save: &'static str,
    pub changed: &'static str,
    pub cancel: &'static str,
}

pub(super) const EN: LoginTexts = LoginTexts {
    email: "E-mail or user name",
    password: "Password",
    sign_in: "Sign in",
    signing_in: "Signing in…",
    wrong_credentials: "The e-mail or the password is wrong.",
    unreachable: "The server cannot be reached. Check your connection and try again.",
    rate_limited: "Too many sign-in attempts. Try again in {} seconds.",
    rate_limited_one: "Too many sign-in attempts. Try again in 1 second.",
    rate_limited_soon: "Too many sign-in attempts. Try again in a moment.",
    busy: "The server is busy. Try again in a moment.",
    session_ended: "Your session ended. Sign in again.",
    change_title: "Change your password",
    change_hint: "You are using the initial password. Choose a new one to continue.",
    current_password: "Current password",
    new_password: "New password",
    repeat_password: "Repeat the new password",
    mismatch: "The two new passwords are not the same.",
    too_short: "The new password must have at least 8 characters.",
    save: "Save",
    changed: "Password changed.",
    cancel: "Cancel",
};

pub(super) const PT_BR: LoginTexts = LoginTexts {
    email: "E-mail ou usuário",
    password: "Senha",
    sign_in: "Entrar",
    signing_in: "Entrando…",
    wrong_credentials: "E-mail ou senha incorretos.",
    unreachable: "Não foi possível falar com o servidor. Verifique sua conexão e tente de novo.",
    rate_limited: "Muitas tentativas de entrar. Tente de novo em {} segundos.",
    rate_limited_one: "Muitas tentativas de entrar. Tente de novo em 1 segundo.",
    rate_limited_soon: "Muitas tentativas de entrar. Tente de novo daqui a pouco.",
    busy: "O servidor está ocupado. Tente de novo daqui a pouco.",
    session_ended: "Sua sessão foi encerrada. Entre novamente.",
    change_title: "Troque sua senha",
    change_hint: "Você está usando a senha inicial. Escolha uma nova para continuar.",
    current_password: "Senha atual",
    new_password: "Nova senha",
    repeat_password: "Repita a nova senha",
    mismatch: "As duas novas senhas não são iguais.",
    too_short: "A nova senha precisa ter pelo menos 8 caracteres.",
    save: "Salvar",
    changed: "Senha alterada.",
    cancel: "Cancelar",
};

impl LoginTexts {
    /// A failed sign-in in words, from the answer's status (0: no answer), error code and
    /// `retry_after_seconds`; `None` when the server's own message says it best. A disabled
    /// account answers like a wrong password, so it reads the same.
    pub fn failure(
        &self,
        status: u16,
        code: Option<ErrorCode>,
        retry_after: Option<u64>,
    ) -> Option<String> {
        Some(match (status, code) {
            (0, _) => self.unreachable.to_owned(),
            (_, Some(ErrorCode::InvalidCredentials)) => self.wrong_credentials.to_owned(),
            (429, _) | (_, Some(ErrorCode::RateLimited)) => match retry_after {
                Some(0 | 1) => self.rate_limited_one.to_owned(),
                Some(seconds) => super::fill(self.rate_limited, seconds),
                None => self.rate_limited_soon.to_owned(),
            },
            (503, _) | (_, Some(ErrorCode::Unavailable)) => self.busy.to_owned(),
            _ => return None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_in_failures_read_as_words() {
        let t = &EN;
        let said = |status, code, retry| t.failure(status, code, retry);
        assert_eq!(said(0, None, None).as_deref(), Some(t.unreachable));
        assert_eq!(
            said(401, Some(ErrorCode::InvalidCredentials), None).as_deref(),
            Some(t.wrong_credentials)
        );
        assert_eq!(
            said(429, Some(ErrorCode::RateLimited), Some(30)).as_deref(),
            Some("Too many sign-in attempts. Try again in 30 seconds.")
        );
        assert_eq!(
            said(429, Some(ErrorCode::RateLimited), Some(1)).as_deref(),
            Some(t.rate_limited_one)
        );
        assert_eq!(said(429, None, None).as_deref(), Some(t.rate_limited_soon));
        assert_eq!(
            said(503, Some(ErrorCode::Unavailable), Some(5)).as_deref(),
            Some(t.busy)
        );
        assert_eq!(said(503, None, None).as_deref(), Some(t.busy));
        // Nothing better to say than the server's message.
        assert_eq!(said(400, Some(ErrorCode::InvalidField), None), None);
        assert_eq!(said(403, Some(ErrorCode::Forbidden), None), None);
    }

    #[test]
    fn the_portuguese_wait_is_in_portuguese() {
        assert_eq!(
            PT_BR
                .failure(429, Some(ErrorCode::RateLimited), Some(12))
                .as_deref(),
            Some("Muitas tentativas de entrar. Tente de novo em 12 segundos.")
        );
        assert_ne!(EN.session_ended, PT_BR.session_ended);
    }
}
