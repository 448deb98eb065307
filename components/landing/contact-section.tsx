import { ContactForm } from "./contact-form";

const POINTS = [
  "A walkthrough of Portcullis against your own MCP servers",
  "Help writing the first policies for GitHub, Stripe, AWS or your internal tools",
  "Deployment questions: several gateways, one audit trail, your hosts only",
];

export function ContactSection() {
  return (
    <section
      id="contact"
      aria-labelledby="contact-title"
      className="scroll-mt-16 bg-white py-20 sm:py-28"
    >
      <div className="mx-auto grid max-w-7xl gap-12 px-5 sm:px-8 lg:grid-cols-[1fr_1.25fr]">
        <div>
          <p className="text-sm font-semibold text-indigo-700">Contact</p>
          <h2
            id="contact-title"
            className="mt-2 text-3xl font-semibold tracking-tight text-slate-900 sm:text-4xl"
          >
            Get in touch
          </h2>
          <p className="mt-4 text-lg leading-8 text-slate-600">
            Running agents against production tools? Tell us what they touch. An engineer — not a
            sales sequence — will answer.
          </p>
          <ul className="mt-8 space-y-3">
            {POINTS.map((p) => (
              <li key={p} className="flex gap-3 text-slate-700">
                <svg
                  viewBox="0 0 20 20"
                  className="mt-0.5 h-5 w-5 flex-none fill-indigo-600"
                  aria-hidden="true"
                >
                  <path d="M16.7 5.3a1 1 0 010 1.4l-8 8a1 1 0 01-1.4 0l-4-4a1 1 0 011.4-1.4L8 12.6l7.3-7.3a1 1 0 011.4 0z" />
                </svg>
                <span>{p}</span>
              </li>
            ))}
          </ul>
        </div>
        <div className="relative">
          <ContactForm />
        </div>
      </div>
    </section>
  );
}
