import type { Metadata } from "next";

import { Comparison } from "@/components/landing/comparison";
import { ContactSection } from "@/components/landing/contact-section";
import { Features } from "@/components/landing/features";
import { Hero } from "@/components/landing/hero";
import { HowItWorks } from "@/components/landing/how-it-works";
import { PolicySection } from "@/components/landing/policy-section";
import { Problem } from "@/components/landing/problem";
import { QuickStart } from "@/components/landing/quick-start";

export const dynamic = "force-static";

export const metadata: Metadata = {
  title: { absolute: "Portcullis — policy gateway for AI agents and MCP tools" },
};

export default function LandingPage() {
  return (
    <>
      <Hero />
      <Problem />
      <HowItWorks />
      <PolicySection />
      <Comparison />
      <Features />
      <QuickStart />
      <ContactSection />
    </>
  );
}
