// Hearth's only script: starts GOV.UK Frontend's components. Pages work without it.
import { initAll } from '/assets/govuk-frontend.min.js'
document.body.classList.add('js-enabled', 'govuk-frontend-supported')
initAll()
