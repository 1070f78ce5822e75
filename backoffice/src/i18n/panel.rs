//! The customer panel (contact, additional info, statistics, previous conversations).

use chimpassist_protocol::ErrorCode;

#[derive(Debug)]
pub struct PanelTexts {
    pub panel: &'static str,
    pub no_customer: &'static str,
    pub verified: &'static str,
    pub unverified: &'static str,
    pub site_id: &'static str,
    pub site_id_verified: &'static str,
    /// Admins' link to the customer's data export (a zip).
    pub export: &'static str,
    pub export_hint: &'static str,
    /// Admins' button that erases the customer's data (asked first).
    pub erase: &'static str,
    /// `{}` is the customer's name.
    pub confirm_erase: &'static str,
    pub erased: &'static str,
    pub claimed: &'static str,
    pub claimed_hint: &'static str,
    pub contact: &'static str,
    pub additional: &'static str,
    pub statistics: &'static str,
    pub previous: &'static str,
    pub loading: &'static str,
    pub retry: &'static str,
    pub not_configured: &'static str,
    pub verification_required: &'static str,
    pub no_site_id: &'static str,
    pub not_allowed: &'static str,
    pub unexpected: &'static str,
    pub contact_failed: &'static str,
    pub additional_failed: &'static str,
    pub statistics_failed: &'static str,
    pub previous_failed: &'static str,
    pub no_contact: &'static str,
    pub no_additional: &'static str,
    pub no_statistics: &'static str,
    /// The visitor's context: the section's title and its rows.
    pub visit: &'static str,
    pub no_visit: &'static str,
    pub now_on: &'static str,
    pub local_time: &'static str,
    pub browser: &'static str,
    pub language: &'static str,
    pub came_from: &'static str,
    pub pages: &'static str,
    /// What the site says about the customer (`setAttributes`).
    pub attributes: &'static str,
    pub no_previous: &'static str,
    pub copy: &'static str,
    pub copy_value: &'static str,
    pub copied: &'static str,
    pub period: &'static str,
    pub last_24h: &'static str,
    pub last_7d: &'static str,
    pub custom: &'static str,
    pub from: &'static str,
    pub to: &'static str,
    pub bad_range: &'static str,
    pub no_data: &'static str,
    pub unsupported: &'static str,
    pub yes: &'static str,
    pub no: &'static str,
    pub chart: &'static str,
    pub rated: &'static str,
    pub no_attendant: &'static str,
    pub this_conversation: &'static str,
    pub open: &'static str,
}

pub(super) const EN: PanelTexts = PanelTexts {
    panel: "Customer",
    no_customer: "The customer of the selected conversation shows here.",
    verified: "Identity verified by the site",
    unverified: "Identity not verified",
    site_id: "Site id",
    site_id_verified: "Site id verified by the site",
    export: "Export data",
    export_hint: "Everything stored about this customer, as a zip (their right of access)",
    erase: "Erase data",
    confirm_erase: "Erase everything stored about {}? Their messages, files, callbacks and the notes about them are deleted for good, and their open chat ends. The reports keep counting the conversations, without them.",
    erased: "The customer's data was erased.",
    claimed: "(unverified)",
    claimed_hint: "As the visitor's page gave it: the site did not sign it",
    contact: "Contact",
    additional: "Additional information",
    statistics: "Statistics",
    previous: "Previous conversations",
    loading: "Loading…",
    retry: "Retry",
    not_configured: "No statistics endpoint is configured for this site.",
    verification_required: "Only asked for customers whose site id the site verified; this one's is not.",
    no_site_id: "This customer has no site id, so the site cannot be asked about them.",
    not_allowed: "You may not see this customer's information.",
    unexpected: "unexpected answer",
    contact_failed: "Could not load the contact information ({}).",
    additional_failed: "Could not load the additional information ({}).",
    statistics_failed: "Could not load the statistics ({}).",
    previous_failed: "Could not load the conversations ({}).",
    no_contact: "No contact information.",
    no_additional: "No additional information.",
    no_statistics: "No statistics for this period.",
    visit: "Visit",
    no_visit: "No page reported yet.",
    now_on: "Now on",
    local_time: "Local time",
    browser: "Browser",
    language: "Language",
    came_from: "Came from",
    pages: "Pages",
    attributes: "Attributes",
    no_previous: "No conversations.",
    copy: "Copy",
    copy_value: "Copy {}",
    copied: "Copied",
    period: "Period",
    last_24h: "Last 24 hours",
    last_7d: "Last 7 days",
    custom: "Custom",
    from: "From",
    to: "To",
    bad_range: "Pick a start before the end.",
    no_data: "no data",
    unsupported: "unsupported value",
    yes: "yes",
    no: "no",
    chart: "Chart",
    rated: "Rated {} of 5",
    no_attendant: "no attendant",
    this_conversation: "this conversation",
    open: "Open the conversation of {}",
};

pub(super) const PT_BR: PanelTexts = PanelTexts {
    panel: "Cliente",
    no_customer: "O cliente da conversa selecionada aparece aqui.",
    verified: "Identidade verificada pelo site",
    unverified: "Identidade não verificada",
    site_id: "Id no site",
    site_id_verified: "Id no site verificado pelo site",
    export: "Exportar dados",
    export_hint: "Tudo o que está guardado sobre este cliente, em um zip (o direito de acesso dele)",
    erase: "Apagar dados",
    confirm_erase: "Apagar tudo o que está guardado sobre {}? As mensagens, arquivos, pedidos de retorno e as notas sobre essa pessoa são apagados de vez, e o chat aberto termina. Os relatórios continuam contando as conversas, sem ela.",
    erased: "Os dados do cliente foram apagados.",
    claimed: "(não verificado)",
    claimed_hint: "Como a página do visitante informou: o site não o assinou",
    contact: "Contato",
    additional: "Informações adicionais",
    statistics: "Estatísticas",
    previous: "Conversas anteriores",
    loading: "Carregando…",
    retry: "Tentar de novo",
    not_configured: "Nenhum endpoint de estatísticas está configurado para este site.",
    verification_required: "Só é consultado para clientes cujo id no site foi verificado pelo site; o deste não foi.",
    no_site_id: "Este cliente não tem id no site, então o site não pode ser consultado sobre ele.",
    not_allowed: "Você não pode ver as informações deste cliente.",
    unexpected: "resposta inesperada",
    contact_failed: "Não foi possível carregar o contato ({}).",
    additional_failed: "Não foi possível carregar as informações adicionais ({}).",
    statistics_failed: "Não foi possível carregar as estatísticas ({}).",
    previous_failed: "Não foi possível carregar as conversas ({}).",
    no_contact: "Nenhuma informação de contato.",
    no_additional: "Nenhuma informação adicional.",
    no_statistics: "Nenhuma estatística neste período.",
    visit: "Visita",
    no_visit: "Nenhuma página informada ainda.",
    now_on: "Agora em",
    local_time: "Hora local",
    browser: "Navegador",
    language: "Idioma",
    came_from: "Veio de",
    pages: "Páginas",
    attributes: "Atributos",
    no_previous: "Nenhuma conversa.",
    copy: "Copiar",
    copy_value: "Copiar {}",
    copied: "Copiado",
    period: "Período",
    last_24h: "Últimas 24 horas",
    last_7d: "Últimos 7 dias",
    custom: "Personalizado",
    from: "De",
    to: "Até",
    bad_range: "Escolha um início antes do fim.",
    no_data: "sem dados",
    unsupported: "valor não suportado",
    yes: "sim",
    no: "não",
    chart: "Gráfico",
    rated: "Avaliada com {} de 5",
    no_attendant: "sem atendente",
    this_conversation: "esta conversa",
    open: "Abrir a conversa de {}",
};

impl PanelTexts {
    /// Why the site's information about a customer is not shown, when the server refused to
    /// ask for it (rather than failed to): no endpoint, an unverified or missing site id, or
    /// a customer this attendant may not see. `None` for failures (shown with a retry).
    pub fn refusal(&self, status: u16, code: Option<ErrorCode>) -> Option<&'static str> {
        match (status, code) {
            (_, Some(ErrorCode::NotConfigured)) => Some(self.not_configured),
            (403, Some(ErrorCode::VerificationRequired)) => Some(self.verification_required),
            (403, Some(ErrorCode::Forbidden)) => Some(self.not_allowed),
            (404, _) => Some(self.no_site_id),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_are_told_apart_from_failures() {
        let t = &EN;
        let refusal = |status, code| t.refusal(status, code);
        assert_eq!(
            refusal(403, Some(ErrorCode::VerificationRequired)),
            Some(t.verification_required)
        );
        assert_eq!(
            refusal(403, Some(ErrorCode::Forbidden)),
            Some(t.not_allowed)
        );
        assert_eq!(refusal(404, Some(ErrorCode::NotFound)), Some(t.no_site_id));
        assert_eq!(
            refusal(501, Some(ErrorCode::NotConfigured)),
            Some(t.not_configured)
        );
        assert_eq!(refusal(502, Some(ErrorCode::UpstreamFailed)), None);
        assert_eq!(refusal(0, None), None);
        assert_eq!(refusal(500, Some(ErrorCode::Internal)), None);
    }
}
