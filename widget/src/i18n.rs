//! English and Brazilian Portuguese texts. The locale is forced by the config or taken from
//! the browser (`pt*` → pt-BR, anything else → en).

#[derive(Debug)]
pub struct Texts {
    /// The BCP 47 tag, on the panel's `lang` (screen readers, and the call chunk's texts).
    pub lang: &'static str,
    pub open_chat: &'static str,
    pub close: &'static str,
    pub greeting: &'static str,
    pub start: &'static str,
    pub name: &'static str,
    pub email: &'static str,
    pub problem: &'static str,
    pub nobody_online: &'static str,
    /// Outside business hours; `{}` is when the desk opens.
    pub closed_until: &'static str,
    pub leave_message: &'static str,
    pub request_callback: &'static str,
    pub phone: &'static str,
    pub preferred_time: &'static str,
    pub send_request: &'static str,
    pub callback_sent: &'static str,
    pub back: &'static str,
    pub waiting: &'static str,
    pub position: &'static str,
    pub minutes: &'static str,
    pub chatting_with: &'static str,
    pub typing: &'static str,
    pub placeholder: &'static str,
    pub send: &'static str,
    pub end_chat: &'static str,
    pub ended: &'static str,
    pub rate: &'static str,
    pub comment: &'static str,
    pub submit_rating: &'static str,
    pub thanks: &'static str,
    pub new_chat: &'static str,
    pub connecting: &'static str,
    pub reconnecting: &'static str,
    pub online: &'static str,
    pub sending: &'static str,
    /// A call's record: "Video call · 2:31", "Voice call · missed".
    pub voice_call: &'static str,
    pub video_call: &'static str,
    pub call_missed: &'static str,
    pub call_declined: &'static str,
    pub call_cancelled: &'static str,
    pub sent: &'static str,
    pub delivered: &'static str,
    pub read: &'static str,
    pub failed: &'static str,
    pub new_message: &'static str,
    pub new_from: &'static str,
    pub older: &'static str,
    pub powered_by: &'static str,
    pub you: &'static str,
    /// Marks a bot's messages.
    pub bot: &'static str,
    pub error: &'static str,
    pub attach: &'static str,
    /// Send pressed while a file is still uploading (or failed).
    pub files_busy: &'static str,
    /// The in-chat prompt for an address, for replies while the visitor is away.
    pub email_replies: &'static str,
}

pub static EN: Texts = Texts {
    lang: "en",
    open_chat: "Chat with us",
    close: "Close chat",
    greeting: "Hi! How can we help you today?",
    start: "Start a conversation",
    name: "Your name",
    email: "E-mail",
    problem: "How can we help?",
    nobody_online: "Nobody is available right now.",
    closed_until: "We're closed now. We open {}.",
    leave_message: "Leave a message",
    request_callback: "Request a callback",
    phone: "Phone",
    preferred_time: "Best time to call",
    send_request: "Request callback",
    callback_sent: "Thanks! We will call you back.",
    back: "Back",
    waiting: "Waiting for an attendant",
    position: "Position in queue",
    minutes: "Estimated wait (min)",
    chatting_with: "Chatting with",
    typing: "is typing…",
    placeholder: "Type a message… (Enter to send, Shift+Enter for a new line)",
    send: "Send",
    end_chat: "End chat",
    ended: "This conversation has ended.",
    rate: "How was your conversation?",
    comment: "Comment (optional)",
    submit_rating: "Send rating",
    thanks: "Thanks for your feedback!",
    new_chat: "Start a new conversation",
    connecting: "Connecting…",
    reconnecting: "Connection lost. Reconnecting…",
    online: "Connected",
    sending: "Sending",
    voice_call: "Voice call",
    video_call: "Video call",
    call_missed: "missed",
    call_declined: "declined",
    call_cancelled: "cancelled",
    sent: "Sent",
    delivered: "Delivered",
    read: "Read",
    failed: "Not sent",
    new_message: "New message",
    new_from: "New message from",
    older: "Load older messages",
    powered_by: "Powered by Chimp Assist",
    you: "You",
    bot: " · bot",
    error: "Something went wrong",
    attach: "Attach a file",
    files_busy: "Wait for the files to finish uploading, or remove them",
    email_replies: "Get our replies by e-mail if you leave",
};

pub static PT_BR: Texts = Texts {
    lang: "pt-BR",
    open_chat: "Fale conosco",
    close: "Fechar chat",
    greeting: "Olá! Como podemos ajudar?",
    start: "Iniciar conversa",
    name: "Seu nome",
    email: "E-mail",
    problem: "Como podemos ajudar?",
    nobody_online: "Ninguém está disponível agora.",
    closed_until: "Estamos fechados agora. Abrimos {}.",
    leave_message: "Deixar uma mensagem",
    request_callback: "Pedir que liguem para mim",
    phone: "Telefone",
    preferred_time: "Melhor horário",
    send_request: "Pedir ligação",
    callback_sent: "Obrigado! Vamos ligar para você.",
    back: "Voltar",
    waiting: "Aguardando um atendente",
    position: "Posição na fila",
    minutes: "Espera estimada (min)",
    chatting_with: "Conversando com",
    typing: "está digitando…",
    placeholder: "Digite uma mensagem… (Enter envia, Shift+Enter quebra linha)",
    send: "Enviar",
    end_chat: "Encerrar",
    ended: "Esta conversa foi encerrada.",
    rate: "Como foi o atendimento?",
    comment: "Comentário (opcional)",
    submit_rating: "Enviar avaliação",
    thanks: "Obrigado pela avaliação!",
    new_chat: "Iniciar nova conversa",
    connecting: "Conectando…",
    reconnecting: "Conexão perdida. Reconectando…",
    online: "Conectado",
    sending: "Enviando",
    voice_call: "Chamada de voz",
    video_call: "Chamada de vídeo",
    call_missed: "perdida",
    call_declined: "recusada",
    call_cancelled: "cancelada",
    sent: "Enviada",
    delivered: "Entregue",
    read: "Lida",
    failed: "Não enviada",
    new_message: "Nova mensagem",
    new_from: "Nova mensagem de",
    older: "Carregar mensagens anteriores",
    powered_by: "Feito com Chimp Assist",
    you: "Você",
    bot: " · robô",
    error: "Algo deu errado",
    attach: "Anexar arquivo",
    files_busy: "Espere os arquivos terminarem de enviar, ou remova-os",
    email_replies: "Receba nossas respostas por e-mail se sair",
};

/// The texts for a forced locale, or for the browser's language list.
pub fn pick(forced: Option<&str>, browser: &[String]) -> &'static Texts {
    let lang = forced
        .map(str::to_owned)
        .or_else(|| browser.first().cloned())
        .unwrap_or_default()
        .to_ascii_lowercase();
    if lang.starts_with("pt") { &PT_BR } else { &EN }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forced_locale_wins_over_the_browser() {
        assert!(std::ptr::eq(pick(Some("pt-BR"), &["en-US".into()]), &PT_BR));
        assert!(std::ptr::eq(pick(Some("en"), &["pt-BR".into()]), &EN));
        assert!(std::ptr::eq(pick(None, &["pt-PT".into()]), &PT_BR));
        assert!(std::ptr::eq(pick(None, &[]), &EN));
    }
}
